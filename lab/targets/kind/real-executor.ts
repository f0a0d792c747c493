import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, Log, PatchStrategy, Watch, setHeaderOptions,
  type KubernetesObject, type V1Deployment, type V1Pod,
} from '@kubernetes/client-node';
import { LabError } from '../../../common/errors.js';
import { FIELD_MANAGER } from './constants.js';
import { selectorString } from './selector.js';
import { describeRef, refOf, type ContainerExit, type Executor, type JobOutcome, type KubeRef, type LogLineSink, type WatchedResource, type WatchSink } from './executor.js';

const POLL_MS = 1000;

/** Loads the kubeconfig and selects `context`; an unknown context is named with the known ones. */
export function loadKubeConfig(context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (e) {
    throw new LabError('LAB_K8S_API', `cannot load a kubeconfig (KUBECONFIG or ~/.kube/config): ${(e as Error).message}`, { cause: e });
  }
  if (context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(context)) {
      throw new LabError('LAB_BAD_OPTION', `kube context "${context}" is not in the kubeconfig; known contexts: ${names.join(', ') || '(none)'} — run \`make cluster\` for the lab's kind cluster`);
    }
    kc.setCurrentContext(context);
  }
  return kc;
}

/** Every replica updated and available, and no surplus (old) replica counted. */
function isRolledOut(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && s.updatedReplicas === want && s.replicas === want && (s.availableReplicas ?? 0) >= want;
}

/**
 * The kubelet's reasons for a container that cannot get its image (k8s.io/kubernetes
 * pkg/kubelet/images/types.go): the pod will never start on its own, so a wait stops at once and
 * names the image instead of running into a generic timeout minutes later.
 */
export const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'ImageInspectError']);

/** LAB_IMAGE_PULL naming the pod, container and image, or undefined when no container is stuck on its image. */
export function imagePullFailure(p: V1Pod): LabError | undefined {
  for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
    const w = cs.state?.waiting;
    if (w?.reason && IMAGE_PULL_REASONS.has(w.reason)) {
      const spec = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].find((c) => c.name === cs.name);
      const image = spec?.image ?? cs.image;
      return new LabError('LAB_IMAGE_PULL', `pod ${p.metadata?.namespace ?? '?'}/${p.metadata?.name ?? '?'}, container ${cs.name}: image ${image}: ${w.reason}${w.message ? ` (${w.message.slice(0, 300)})` : ''} — on a cluster without registry access pre-load it (docs/kind.md, "Offline")`);
    }
  }
  return undefined;
}

/** Throws the first image pull failure among the pods. */
function stopOnImagePull(pods: V1Pod[]): void {
  for (const p of pods) {
    const e = imagePullFailure(p);
    if (e) throw e;
  }
}

/** A watch's resourceVersion to resume from: the largest seen (etcd revisions are integers; else the latest). */
export function laterVersion(a: string | undefined, b: string | undefined): string | undefined {
  if (!a || !b) return b ?? a;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(b) > BigInt(a) ? b : a;
  return b;
}

/** The Gateway API condition Programmed=True, for the generation the Gateway has now (gateway-api apis/v1 GatewayConditionProgrammed). */
export function gatewayProgrammed(g: any): boolean {
  const c = (g?.status?.conditions ?? []).find((x: any) => x?.type === 'Programmed');
  return c?.status === 'True' && (c.observedGeneration ?? 0) >= (g?.metadata?.generation ?? 0);
}

function podReady(p: V1Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function apiError(what: string, e: unknown): LabError {
  const code = (e as any)?.code;
  const body = (e as any)?.body;
  const msg = typeof body === 'string' ? body.slice(0, 500) : (e as Error)?.message;
  return new LabError('LAB_K8S_API', `${what}: ${code ? `HTTP ${code}: ` : ''}${msg}`, { cause: e });
}

/** The executor that does it for real: child processes for docker/kind, @kubernetes/client-node for the API. */
export class RealExecutor implements Executor {
  readonly dryRun = false;
  private readonly objects: KubernetesObjectApi;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(private readonly kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  command(cmd: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(new LabError('LAB_MISSING_TOOL', `${cmd} is not on PATH (see docs/kind.md for the versions the lab needs)`));
        }
        reject(new LabError('LAB_K8S_API', `${cmd} ${args.join(' ')} failed: ${String(stderr).slice(-2000)}`, { cause: err }));
      });
    });
  }

  async apply(obj: KubernetesObject): Promise<void> {
    try {
      await this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (e) {
      throw apiError(`server-side apply of ${describeRef(refOf(obj))}`, e);
    }
  }

  async create(obj: KubernetesObject): Promise<string | undefined> {
    try {
      return (await this.objects.create(obj, undefined, undefined, FIELD_MANAGER)).metadata?.uid;
    } catch (e) {
      throw apiError(`create ${describeRef(refOf(obj))}`, e);
    }
  }

  async remove(ref: KubeRef): Promise<void> {
    try {
      const body = ref.uid ? { preconditions: { uid: ref.uid } } : undefined;
      await this.objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }, undefined, undefined, undefined, undefined, 'Background', body);
    } catch (e) {
      // 409 on a uid precondition: the object of that name is not the one this run created
      if ((e as any)?.code === 404 || (ref.uid && (e as any)?.code === 409)) return;
      throw apiError(`delete ${describeRef(ref)}`, e);
    }
  }

  async restartDeployment(namespace: string, name: string, at: string): Promise<void> {
    const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
    try {
      await this.apps.patchNamespacedDeployment({ name, namespace, body, fieldManager: FIELD_MANAGER }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    } catch (e) {
      throw apiError(`restart Deployment ${namespace}/${name}`, e);
    }
  }

  private async until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; ; i++) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new LabError('LAB_TIMEOUT', `${what} not reached within ${Math.round(timeoutMs / 1000)} s`);
      await sleep(POLL_MS);
    }
  }

  async waitDeploymentsAvailable(namespace: string, names: readonly string[], timeoutMs: number): Promise<void> {
    for (const name of names) {
      await this.until(`Deployment ${namespace}/${name} available with no pod terminating`, timeoutMs, async () => {
        const d = await this.apps.readNamespacedDeployment({ name, namespace });
        // The pods are listed on every poll: one stuck on its image would keep the Deployment from
        // ever becoming available. After an arm switch the previous arm's pods may still be
        // terminating (status.replicas does not count them): their SIGKILLs and deregistrations
        // would land in the next run.
        const terminating = await this.anyTerminating(namespace, selectorString(d.spec?.selector));
        return isRolledOut(d) && !terminating ? true : undefined;
      });
    }
  }

  /** Whether a pod of the selector is terminating; throws LAB_IMAGE_PULL when one cannot get its image. */
  private async anyTerminating(namespace: string, labelSelector: string): Promise<boolean> {
    const pods = await this.core.listNamespacedPod({ namespace, labelSelector });
    stopOnImagePull(pods.items);
    return pods.items.some((p) => p.metadata?.deletionTimestamp);
  }

  async waitRolloutComplete(namespace: string, name: string, labelSelector: string, timeoutMs: number): Promise<void> {
    await this.until(`rollout of ${namespace}/${name} complete with old pods gone`, timeoutMs, async () => {
      const d = await this.apps.readNamespacedDeployment({ name, namespace });
      // the list comes first: a new pod stuck on its image keeps the rollout from ever completing
      const terminating = await this.anyTerminating(namespace, labelSelector);
      return isRolledOut(d) && !terminating ? true : undefined;
    });
  }

  async waitJobPod(namespace: string, job: string, timeoutMs: number): Promise<string> {
    return this.until(`a running pod of Job ${namespace}/${job}`, timeoutMs, async () => {
      const pods = await this.core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
      stopOnImagePull(pods.items);
      const p = pods.items.find((x) => ['Running', 'Succeeded', 'Failed'].includes(x.status?.phase ?? ''));
      return p?.metadata?.name;
    });
  }

  async waitGatewayReady(namespace: string, gateway: string, envoyNamespace: string, envoySelector: string, timeoutMs: number): Promise<void> {
    await this.until(`Gateway ${namespace}/${gateway} Programmed and its Envoy pods Ready`, timeoutMs, async () => {
      const g: any = await this.custom.getNamespacedCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', namespace, plural: 'gateways', name: gateway })
        .catch((e: unknown) => { if ((e as any)?.code === 404) return undefined; throw apiError(`read Gateway ${namespace}/${gateway}`, e); });
      if (!gatewayProgrammed(g)) return undefined;
      const pods = await this.core.listNamespacedPod({ namespace: envoyNamespace, labelSelector: envoySelector });
      stopOnImagePull(pods.items);
      const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
      return live.length > 0 && live.every(podReady) ? true : undefined;
    });
  }

  async waitServiceName(namespace: string, labelSelector: string, timeoutMs: number): Promise<string> {
    return this.until(`a Service ${namespace}?labelSelector=${labelSelector}`, timeoutMs, async () => {
      const list = await this.core.listNamespacedService({ namespace, labelSelector });
      return list.items[0]?.metadata?.name;
    });
  }

  async waitLogLine(namespace: string, pod: string, marker: string, timeoutMs: number): Promise<string> {
    return this.until(`"${marker}" in the log of ${namespace}/${pod}`, timeoutMs, async () => {
      const log = await this.podLog(namespace, pod).catch(() => '');
      return log.includes(marker) ? log : undefined;
    });
  }

  async waitJobFinished(namespace: string, job: string, timeoutMs: number): Promise<JobOutcome> {
    return this.until(`Job ${namespace}/${job} finished`, timeoutMs, async () => {
      const j = await this.batch.readNamespacedJobStatus({ name: job, namespace });
      if ((j.status?.succeeded ?? 0) > 0) return 'succeeded' as const;
      if ((j.status?.failed ?? 0) > 0) return 'failed' as const;
      return undefined;
    });
  }

  async podLog(namespace: string, pod: string): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({ name: pod, namespace });
    } catch (e) {
      throw apiError(`read log of ${namespace}/${pod}`, e);
    }
  }

  async containerExit(namespace: string, pod: string, container: string): Promise<ContainerExit | null> {
    try {
      const p = await this.core.readNamespacedPod({ name: pod, namespace });
      const t = p.status?.containerStatuses?.find((c) => c.name === container)?.state?.terminated;
      return t ? { exitCode: t.exitCode, ...(t.reason ? { reason: t.reason } : {}) } : null;
    } catch (e) {
      if ((e as any)?.code === 404) return null;
      throw apiError(`read pod ${namespace}/${pod}`, e);
    }
  }

  async watch(namespace: string, sink: WatchSink): Promise<() => void> {
    const w = new Watch(this.kc);
    const paths: Array<[WatchedResource, string]> = [
      ['Deployment', `/apis/apps/v1/namespaces/${namespace}/deployments`],
      ['ReplicaSet', `/apis/apps/v1/namespaces/${namespace}/replicasets`],
      ['Pod', `/api/v1/namespaces/${namespace}/pods`],
      ['EndpointSlice', `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`],
      ['Event', `/api/v1/namespaces/${namespace}/events`],
    ];
    let stopped = false;
    // stopping also cancels a pending restart's pause: it would otherwise keep the process alive up to POLL_MS
    const halt = new AbortController();
    const controllers = new Set<AbortController>();
    // The API server ends watches after a few minutes (or refuses one); restart them (bounded) until
    // stopped, from the largest resourceVersion seen (the initial ADDED events of a watch from "now"
    // come in no order), so no event is replayed or lost in between. A 410 (that version is
    // compacted away), in the stream as an ERROR event or as the HTTP status, restarts from "now".
    const start = async (resource: WatchedResource, path: string, restarts: number, fromVersion?: string): Promise<void> => {
      if (stopped || restarts > 200) return;
      let version = fromVersion;
      let ended = false;
      let c: AbortController | undefined;
      // client-node calls `done` before `watch` returns when the request fails, so c may be unset here.
      const done = (err?: unknown) => {
        if (ended) return;
        ended = true;
        if ((err as { statusCode?: number } | null)?.statusCode === 410) version = undefined;
        if (c) controllers.delete(c);
        if (!stopped) void sleep(POLL_MS, undefined, { signal: halt.signal }).then(() => start(resource, path, restarts + 1, version), () => {});
      };
      const onEvent = (type: string, obj: any) => {
        if (type === 'ERROR') {
          if (obj?.code === 410) version = undefined;
          return;
        }
        version = laterVersion(version, obj?.metadata?.resourceVersion);
        // Only object events reach the timeline; BOOKMARK carries no pod or slice state.
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') sink(resource, type, obj, Date.now());
      };
      try {
        c = await w.watch(path, { allowWatchBookmarks: true, ...(version ? { resourceVersion: version } : {}) }, onEvent, done);
      } catch (e) {
        done(e);
        return;
      }
      if (ended) c.abort(); else controllers.add(c);
    };
    await Promise.all(paths.map(([r, p]) => start(r, p, 0)));
    return () => {
      stopped = true;
      halt.abort();
      for (const c of controllers) c.abort();
    };
  }

  async followLogs(namespace: string, labelSelector: string, sink: LogLineSink): Promise<() => void> {
    const log = new Log(this.kc);
    const followed = new Map<string, AbortController>();
    // Only what happens from now on: a long-lived pod (the ingress controller) has hours of history.
    const sinceTime = new Date().toISOString();
    let stopped = false;
    // stopping also cancels the pause between scans (it would keep the process alive up to POLL_MS)
    const halt = new AbortController();
    // Pods come and go during rollouts; a deleted pod's log is gone, so follow each from its start.
    // A container that restarts starts a new log (the follow of the old one has ended): follow it
    // again, keyed by its restart count.
    const scan = async (): Promise<void> => {
      const pods = await this.core.listNamespacedPod({ namespace, labelSelector }).catch(() => undefined);
      for (const p of pods?.items ?? []) {
        const name = p.metadata?.name;
        const container = p.spec?.containers?.[0]?.name;
        const status = p.status?.containerStatuses?.find((s) => s.name === container) ?? p.status?.containerStatuses?.[0];
        const key = `${name}#${status?.restartCount ?? 0}`;
        if (!name || !container || followed.has(key) || !(status?.state?.running || status?.state?.terminated)) continue;
        let buf = '';
        const stream = new Writable({
          write(chunk: Buffer, _enc, done) {
            buf += chunk.toString();
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              sink(name, buf.slice(0, i));
              buf = buf.slice(i + 1);
            }
            done();
          },
        });
        followed.set(key, new AbortController());
        try {
          followed.set(key, await log.log(namespace, name, container, stream, { follow: true, timestamps: true, sinceTime }));
        } catch {
          followed.delete(key); // retried on the next scan
        }
      }
    };
    const loop = (async () => {
      for (let i = 0; !stopped && i < 100_000; i++) {
        await scan();
        await sleep(POLL_MS, undefined, { signal: halt.signal }).catch(() => {});
      }
    })();
    return () => {
      stopped = true;
      halt.abort();
      for (const c of followed.values()) c.abort();
      void loop;
    };
  }

  async sleep(ms: number): Promise<void> {
    await sleep(ms);
  }
}
