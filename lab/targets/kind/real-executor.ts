import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, Log, PatchStrategy, Watch, setHeaderOptions,
  type KubernetesObject, type V1Deployment,
} from '@kubernetes/client-node';
import { LabError } from '../../../common/errors.js';
import { FIELD_MANAGER } from './constants.js';
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

/** The Deployment's pod selector as a label selector string (`k=v,k=v`). */
function selectorOf(d: V1Deployment): string {
  return Object.entries(d.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
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

  constructor(private readonly kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
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
        if (!isRolledOut(d)) return undefined;
        // After an arm switch the previous arm's pods may still be terminating (status.replicas does
        // not count them): their SIGKILLs and deregistrations would land in the next run.
        return (await this.anyTerminating(namespace, selectorOf(d))) ? undefined : true;
      });
    }
  }

  private async anyTerminating(namespace: string, labelSelector: string): Promise<boolean> {
    const pods = await this.core.listNamespacedPod({ namespace, labelSelector });
    return pods.items.some((p) => p.metadata?.deletionTimestamp);
  }

  async waitRolloutComplete(namespace: string, name: string, labelSelector: string, timeoutMs: number): Promise<void> {
    await this.until(`rollout of ${namespace}/${name} complete with old pods gone`, timeoutMs, async () => {
      const d = await this.apps.readNamespacedDeployment({ name, namespace });
      if (!isRolledOut(d)) return undefined;
      return (await this.anyTerminating(namespace, labelSelector)) ? undefined : true;
    });
  }

  async waitJobPod(namespace: string, job: string, timeoutMs: number): Promise<string> {
    return this.until(`a running pod of Job ${namespace}/${job}`, timeoutMs, async () => {
      const pods = await this.core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
      const p = pods.items.find((x) => ['Running', 'Succeeded', 'Failed'].includes(x.status?.phase ?? ''));
      return p?.metadata?.name;
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
      ['Pod', `/api/v1/namespaces/${namespace}/pods`],
      ['EndpointSlice', `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`],
      ['Event', `/api/v1/namespaces/${namespace}/events`],
    ];
    let stopped = false;
    const controllers = new Set<AbortController>();
    // The API server ends watches after a few minutes (or refuses one); restart them (bounded) until
    // stopped, from the last resourceVersion seen, so no event is replayed or lost in between. A 410
    // (that version is compacted away) restarts from "now" instead.
    const start = async (resource: WatchedResource, path: string, restarts: number, fromVersion?: string): Promise<void> => {
      if (stopped || restarts > 200) return;
      let version = fromVersion;
      let ended = false;
      let c: AbortController | undefined;
      // client-node calls `done` before `watch` returns when the request fails, so c may be unset here.
      const done = () => {
        if (ended) return;
        ended = true;
        if (c) controllers.delete(c);
        if (!stopped) void sleep(POLL_MS).then(() => start(resource, path, restarts + 1, version));
      };
      const onEvent = (type: string, obj: any) => {
        if (type === 'ERROR') {
          if (obj?.code === 410) version = undefined;
          return;
        }
        version = obj?.metadata?.resourceVersion ?? version;
        // Only object events reach the timeline; BOOKMARK carries no pod or slice state.
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') sink(resource, type, obj, Date.now());
      };
      try {
        c = await w.watch(path, { allowWatchBookmarks: true, ...(version ? { resourceVersion: version } : {}) }, onEvent, done);
      } catch {
        done();
        return;
      }
      if (ended) c.abort(); else controllers.add(c);
    };
    await Promise.all(paths.map(([r, p]) => start(r, p, 0)));
    return () => {
      stopped = true;
      for (const c of controllers) c.abort();
    };
  }

  async followLogs(namespace: string, labelSelector: string, sink: LogLineSink): Promise<() => void> {
    const log = new Log(this.kc);
    const followed = new Map<string, AbortController>();
    // Only what happens from now on: a long-lived pod (the ingress controller) has hours of history.
    const sinceTime = new Date().toISOString();
    let stopped = false;
    // Pods come and go during rollouts; a deleted pod's log is gone, so follow each from its start.
    const scan = async (): Promise<void> => {
      const pods = await this.core.listNamespacedPod({ namespace, labelSelector }).catch(() => undefined);
      for (const p of pods?.items ?? []) {
        const name = p.metadata?.name;
        const container = p.spec?.containers?.[0]?.name;
        if (!name || !container || followed.has(name) || !p.status?.containerStatuses?.some((s) => s.state?.running || s.state?.terminated)) continue;
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
        followed.set(name, new AbortController());
        try {
          followed.set(name, await log.log(namespace, name, container, stream, { follow: true, timestamps: true, sinceTime }));
        } catch {
          followed.delete(name); // retried on the next scan
        }
      }
    };
    const loop = (async () => {
      for (let i = 0; !stopped && i < 100_000; i++) {
        await scan();
        await sleep(POLL_MS);
      }
    })();
    return () => {
      stopped = true;
      for (const c of followed.values()) c.abort();
      void loop;
    };
  }

  async sleep(ms: number): Promise<void> {
    await sleep(ms);
  }
}
