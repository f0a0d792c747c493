import type { KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER } from './constants.js';
import { describeRef, refOf, type ContainerExit, type Executor, type JobOutcome, type KubeRef, type LogLineSink, type WatchSink } from './executor.js';

/**
 * The dry-run executor: records one line per command or API call, in order, and answers with
 * placeholders so the orchestration walks every step. Needs no kubeconfig, docker or cluster.
 */
export class RecordingExecutor implements Executor {
  readonly dryRun = true;
  readonly calls: string[] = [];

  private rec(line: string): void {
    this.calls.push(line);
  }

  async command(cmd: string, args: string[]): Promise<string> {
    this.rec(`RUN ${[cmd, ...args].join(' ')}`);
    return '';
  }

  async apply(obj: KubernetesObject): Promise<void> {
    const images = containerImages(obj);
    this.rec(`PATCH ${describeRef(refOf(obj))} (application/apply-patch+yaml fieldManager=${FIELD_MANAGER} force=true)${images.length ? ` images=${images.join(',')}` : ''}`);
  }

  async create(obj: KubernetesObject): Promise<string | undefined> {
    const images = containerImages(obj);
    this.rec(`POST ${describeRef(refOf(obj))} (fieldManager=${FIELD_MANAGER})${images.length ? ` images=${images.join(',')}` : ''}`);
    return undefined;
  }

  async remove(ref: KubeRef): Promise<void> {
    this.rec(`DELETE ${describeRef(ref)} (propagationPolicy=Background${ref.uid ? ` precondition uid=${ref.uid}` : ''})`);
  }

  async restartDeployment(namespace: string, name: string, at: string): Promise<void> {
    this.rec(`PATCH apps/v1/Deployment ${namespace}/${name} (application/strategic-merge-patch+json fieldManager=${FIELD_MANAGER}) spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]=${at}`);
  }

  async waitDeploymentsAvailable(namespace: string, names: readonly string[], timeoutMs: number): Promise<void> {
    for (const n of names) this.rec(`GET apps/v1/Deployment ${namespace}/${n} + LIST v1/Pod (poll until available and no pod terminating, timeout ${timeoutMs / 1000}s)`);
  }

  async waitRolloutComplete(namespace: string, name: string, labelSelector: string, timeoutMs: number): Promise<void> {
    this.rec(`GET apps/v1/Deployment ${namespace}/${name} + LIST v1/Pod ${namespace}?labelSelector=${labelSelector} (poll until rolled out and old pods gone, timeout ${timeoutMs / 1000}s)`);
  }

  async waitJobPod(namespace: string, job: string, timeoutMs: number): Promise<string> {
    this.rec(`LIST v1/Pod ${namespace}?labelSelector=job-name=${job} (poll until started, timeout ${timeoutMs / 1000}s)`);
    return `${job}-<pod>`;
  }

  async waitLogLine(namespace: string, pod: string, marker: string, timeoutMs: number): Promise<string> {
    this.rec(`GET v1/Pod/log ${namespace}/${pod} (poll until "${marker}", timeout ${timeoutMs / 1000}s)`);
    return '';
  }

  async waitJobFinished(namespace: string, job: string, timeoutMs: number): Promise<JobOutcome> {
    this.rec(`GET batch/v1/Job/status ${namespace}/${job} (poll until succeeded or failed, timeout ${timeoutMs / 1000}s)`);
    return 'succeeded';
  }

  async waitServiceName(namespace: string, labelSelector: string, timeoutMs: number): Promise<string> {
    this.rec(`LIST v1/Service ${namespace}?labelSelector=${labelSelector} (poll until one exists, timeout ${timeoutMs / 1000}s)`);
    return '<envoy-service>';
  }

  async podLog(namespace: string, pod: string): Promise<string> {
    this.rec(`GET v1/Pod/log ${namespace}/${pod}`);
    return '';
  }

  async containerExit(namespace: string, pod: string, container: string): Promise<ContainerExit | null> {
    this.rec(`GET v1/Pod ${namespace}/${pod} (status.containerStatuses[${container}].state.terminated)`);
    return { exitCode: 0 };
  }

  async watch(namespace: string, _sink: WatchSink): Promise<() => void> {
    this.rec(`WATCH apps/v1/Deployment ${namespace}`);
    this.rec(`WATCH v1/Pod ${namespace}`);
    this.rec(`WATCH discovery.k8s.io/v1/EndpointSlice ${namespace}`);
    this.rec(`WATCH v1/Event ${namespace}`);
    return () => this.rec(`STOP watches ${namespace}`);
  }

  async followLogs(namespace: string, labelSelector: string, _sink: LogLineSink): Promise<() => void> {
    this.rec(`WATCH v1/Pod ${namespace}?labelSelector=${labelSelector} + GET v1/Pod/log (follow=true timestamps=true sinceTime=<now>) for each pod`);
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
