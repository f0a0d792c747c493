import type { KubernetesObject } from '@kubernetes/client-node';
import { EXECUTOR_CALLS, objectAccess, type AccessCheck, type FixedCall } from './api-access.js';
import { FIELD_MANAGER } from './constants.js';
import { describeRef, refOf, type ContainerExit, type Executor, type JobOutcome, type KubeRef, type LogLineSink, type WatchSink } from './executor.js';

/** One recorded API call: the namespace it is made in and the RBAC attributes it needs (lab/targets/kind/api-access.ts). */
export interface RecordedAccess { namespace: string | undefined; checks: readonly AccessCheck[] }

/**
 * The dry-run executor: records one line per command or API call, in order, and answers with
 * placeholders so the orchestration walks every step. Needs no kubeconfig, docker or cluster.
 * Beside each line it records the permissions the real call needs, from the one table.
 */
export class RecordingExecutor implements Executor {
  readonly dryRun = true;
  readonly calls: string[] = [];
  readonly accessed: RecordedAccess[] = [];

  private rec(line: string, namespace?: string, checks: readonly AccessCheck[] = []): void {
    this.calls.push(line);
    if (checks.length) this.accessed.push({ namespace, checks });
  }

  private fixed(method: FixedCall, namespace: string, line: string): void {
    this.rec(line, namespace, EXECUTOR_CALLS[method]);
  }

  async command(cmd: string, args: string[]): Promise<string> {
    this.rec(`RUN ${[cmd, ...args].join(' ')}`);
    return '';
  }

  async apply(obj: KubernetesObject): Promise<void> {
    const images = containerImages(obj);
    this.rec(`PATCH ${describeRef(refOf(obj))} (application/apply-patch+yaml fieldManager=${FIELD_MANAGER} force=true)${images.length ? ` images=${images.join(',')}` : ''}`,
      obj.metadata?.namespace, objectAccess('apply', obj.apiVersion ?? '', obj.kind ?? ''));
  }

  async create(obj: KubernetesObject): Promise<string | undefined> {
    const images = containerImages(obj);
    this.rec(`POST ${describeRef(refOf(obj))} (fieldManager=${FIELD_MANAGER})${images.length ? ` images=${images.join(',')}` : ''}`,
      obj.metadata?.namespace, objectAccess('create', obj.apiVersion ?? '', obj.kind ?? ''));
    return undefined;
  }

  async remove(ref: KubeRef): Promise<void> {
    this.rec(`DELETE ${describeRef(ref)} (propagationPolicy=Background${ref.uid ? ` precondition uid=${ref.uid}` : ''})`, ref.namespace, objectAccess('remove', ref.apiVersion, ref.kind));
  }

  async restartDeployment(namespace: string, name: string, at: string): Promise<void> {
    this.fixed('restartDeployment', namespace, `PATCH apps/v1/Deployment ${namespace}/${name} (application/strategic-merge-patch+json fieldManager=${FIELD_MANAGER}) spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]=${at}`);
  }

  async waitDeploymentsAvailable(namespace: string, names: readonly string[], timeoutMs: number): Promise<void> {
    for (const n of names) this.fixed('waitDeploymentsAvailable', namespace, `GET apps/v1/Deployment ${namespace}/${n} + LIST v1/Pod (poll until available and no pod terminating; stop on an image pull failure; timeout ${timeoutMs / 1000}s)`);
  }

  async waitRolloutComplete(namespace: string, name: string, labelSelector: string, timeoutMs: number): Promise<void> {
    this.fixed('waitRolloutComplete', namespace, `GET apps/v1/Deployment ${namespace}/${name} + LIST v1/Pod ${namespace}?labelSelector=${labelSelector} (poll until rolled out and old pods gone; stop on an image pull failure; timeout ${timeoutMs / 1000}s)`);
  }

  async waitJobPod(namespace: string, job: string, timeoutMs: number): Promise<string> {
    this.fixed('waitJobPod', namespace, `LIST v1/Pod ${namespace}?labelSelector=job-name=${job} (poll until started; stop on an image pull failure; timeout ${timeoutMs / 1000}s)`);
    return `${job}-<pod>`;
  }

  async waitLogLine(namespace: string, pod: string, marker: string, timeoutMs: number): Promise<string> {
    this.fixed('waitLogLine', namespace, `GET v1/Pod/log ${namespace}/${pod} (poll until "${marker}", timeout ${timeoutMs / 1000}s)`);
    return '';
  }

  async waitJobFinished(namespace: string, job: string, timeoutMs: number): Promise<JobOutcome> {
    this.fixed('waitJobFinished', namespace, `GET batch/v1/Job/status ${namespace}/${job} (poll until succeeded or failed, timeout ${timeoutMs / 1000}s)`);
    return 'succeeded';
  }

  async waitServiceName(namespace: string, labelSelector: string, timeoutMs: number): Promise<string> {
    this.fixed('waitServiceName', namespace, `LIST v1/Service ${namespace}?labelSelector=${labelSelector} (poll until one exists, timeout ${timeoutMs / 1000}s)`);
    return '<envoy-service>';
  }

  async waitGatewayReady(namespace: string, gateway: string, envoyNamespace: string, envoySelector: string, timeoutMs: number): Promise<void> {
    const [gatewayCheck, podsCheck] = EXECUTOR_CALLS.waitGatewayReady;
    this.rec(`GET gateway.networking.k8s.io/v1/Gateway ${namespace}/${gateway} + LIST v1/Pod ${envoyNamespace}?labelSelector=${envoySelector} (poll until Programmed=True and every Envoy pod Ready, timeout ${timeoutMs / 1000}s)`, namespace, [gatewayCheck!]);
    this.accessed.push({ namespace: envoyNamespace, checks: [podsCheck!] });
  }

  async podLog(namespace: string, pod: string): Promise<string> {
    this.fixed('podLog', namespace, `GET v1/Pod/log ${namespace}/${pod}`);
    return '';
  }

  async containerExit(namespace: string, pod: string, container: string): Promise<ContainerExit | null> {
    this.rec(`GET v1/Pod ${namespace}/${pod} (status.containerStatuses[${container}].state.terminated)`, namespace, EXECUTOR_CALLS.containerExit);
    return { exitCode: 0 };
  }

  async watch(namespace: string, _sink: WatchSink): Promise<() => void> {
    for (const [i, what] of ['apps/v1/Deployment', 'apps/v1/ReplicaSet', 'v1/Pod', 'discovery.k8s.io/v1/EndpointSlice', 'v1/Event'].entries()) {
      this.rec(`WATCH ${what} ${namespace}`, namespace, [EXECUTOR_CALLS.watch[i]!]);
    }
    return () => this.rec(`STOP watches ${namespace}`);
  }

  async followLogs(namespace: string, labelSelector: string, _sink: LogLineSink): Promise<() => void> {
    this.fixed('followLogs', namespace, `WATCH v1/Pod ${namespace}?labelSelector=${labelSelector} + GET v1/Pod/log (follow=true timestamps=true sinceTime=<now>) for each pod and each container restart`);
    return () => this.rec(`STOP log follows ${namespace}?labelSelector=${labelSelector}`);
  }

  async sleep(ms: number): Promise<void> {
    this.rec(`SLEEP ${ms} ms`);
  }
}

function containerImages(obj: any): string[] {
  const spec = obj?.spec?.template?.spec ?? obj?.spec?.jobTemplate?.spec?.template?.spec;
  if (!spec) return [];
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: any) => String(c.image));
}
