import type { KubernetesObject } from '@kubernetes/client-node';

// Every side effect of the kind target goes through this one interface, so a dry run can print
// the exact sequence of docker/kind commands and Kubernetes API calls without touching anything.

export interface KubeRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** delete only this instance (a precondition): an object of the same name someone else made is left alone */
  uid?: string;
}

export type WatchedResource = 'Deployment' | 'ReplicaSet' | 'Pod' | 'EndpointSlice' | 'Event';
export type WatchSink = (resource: WatchedResource, type: string, obj: any, t: number) => void;
export type LogLineSink = (pod: string, line: string) => void;
export type JobOutcome = 'succeeded' | 'failed';
export interface ContainerExit { exitCode: number; reason?: string }

export interface Executor {
  readonly dryRun: boolean;
  /** A docker/kind command; resolves with its stdout, rejects naming the command on failure. */
  command(cmd: string, args: string[]): Promise<string>;
  /** Server-side apply (fieldManager deploy-loss-lab, force). */
  apply(obj: KubernetesObject): Promise<void>;
  /** Creates the object; resolves with the uid the API server gave it (undefined in a dry run). */
  create(obj: KubernetesObject): Promise<string | undefined>;
  /** Delete with propagationPolicy Background (and the uid precondition when the ref has one); absent objects are fine, as is a uid that no longer matches. */
  remove(ref: KubeRef): Promise<void>;
  /** Strategic-merge patch of the pod template's restartedAt annotation (what `kubectl rollout restart` does). */
  restartDeployment(namespace: string, name: string, at: string): Promise<void>;
  /** Every replica updated and available, and no surplus (old) replica left. */
  waitDeploymentsAvailable(namespace: string, names: readonly string[], timeoutMs: number): Promise<void>;
  /** Resolves when every replica is updated and available and no pod of the Deployment is left terminating. */
  waitRolloutComplete(namespace: string, name: string, labelSelector: string, timeoutMs: number): Promise<void>;
  waitJobPod(namespace: string, job: string, timeoutMs: number): Promise<string>;
  /** Polls until a Service matching the selector exists; resolves with its name. */
  waitServiceName(namespace: string, labelSelector: string, timeoutMs: number): Promise<string>;
  /**
   * Polls until the Gateway's status has the condition Programmed=True for its current generation
   * and every Envoy pod matching `envoySelector` in `envoyNamespace` is Ready (at least one).
   */
  waitGatewayReady(namespace: string, gateway: string, envoyNamespace: string, envoySelector: string, timeoutMs: number): Promise<void>;
  /** Polls a pod's log until it contains `marker`; resolves with the whole log. */
  waitLogLine(namespace: string, pod: string, marker: string, timeoutMs: number): Promise<string>;
  waitJobFinished(namespace: string, job: string, timeoutMs: number): Promise<JobOutcome>;
  podLog(namespace: string, pod: string): Promise<string>;
  /** A terminated container's exit code and reason (Completed, Error, OOMKilled); null while it runs, or when the pod is gone. */
  containerExit(namespace: string, pod: string, container: string): Promise<ContainerExit | null>;
    /** Watches Deployments, ReplicaSets, Pods, EndpointSlices and Events of a namespace; resolves with a stop function. */
  watch(namespace: string, sink: WatchSink): Promise<() => void>;
  /** Follows (timestamps=true) the log of every pod matching the selector, including pods created later and containers that restart. */
  followLogs(namespace: string, labelSelector: string, sink: LogLineSink): Promise<() => void>;
  sleep(ms: number): Promise<void>;
}

export function describeRef(r: KubeRef): string {
  return `${r.apiVersion}/${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

export function refOf(obj: KubernetesObject): KubeRef {
  const ref: KubeRef = { apiVersion: obj.apiVersion ?? '?', kind: obj.kind ?? '?', name: obj.metadata?.name ?? '?' };
  if (obj.metadata?.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}
