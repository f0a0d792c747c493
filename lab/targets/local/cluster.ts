import { appendFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { LabError } from '../../../common/errors.js';
import { REPO_ROOT } from '../../engine/meta.js';
import type { TimelineEvent } from '../../engine/schema.js';
import type { PodAddress } from '../../engine/serving-probe.js';
import { AddressBlock, blockInUse, ephemeralPort } from './addresses.js';
import { serviceForDnsName } from './container-env.js';
import { DeploymentController, podName, type RolloutProgress } from './deployment-controller.js';
import { ServiceEndpoints, type LaggedView } from './endpoints.js';
import { IngressProxy, ingressRouter, tuningFor, type Attempt, type L7Profile } from './ingress.js';
import { l7Profile, type L7Name } from './l7-profile.js';
import type { RouteRetry } from './route-retry.js';
import { detectIsolation, type Isolation } from './isolation.js';
import { choosePodNetwork, PodNetwork, type PodNetworkChoice, type PodNetworkMode } from './pod-network.js';
import { l4Connector, ServiceForwarder, type Connector } from './l4.js';
import { readManifest, type Manifest } from './manifest.js';
import { Pod, POD_PHASES } from './pod.js';
import { registerCleanup } from './process-cleanup.js';
import { StartWatch, underWatch } from './start-failure.js';
import { assertPodUserCanRun, resolvePodUser, type PodUser } from './pod-user.js';

// A rendered arm running as real processes: the pieces of this folder wired the way a cluster
// wires them (kubelet ← ReplicaSets ← Deployments; pods → EndpointSlices → lagged routing view →
// L4 connector, Service addresses and the ingress).

/**
 * How late the routing layer learns of an endpoint change: the one modeled quantity. 1 s is
 * kube-proxy's iptables minSyncPeriod default and ingress-nginx's Lua backend sync interval;
 * docs/local-vs-kind.md gives the sources.
 */
export const DEFAULT_PROPAGATION_DELAY_MS = 1000;
/** Never rolled by default: restarting the ledger's Redis (no persistence) would erase what the lab audits. */
export const STATEFUL_DEPLOYMENTS: readonly string[] = ['redis'];


export const CLUSTER_STATES = { Starting: 'starting', Running: 'running', Closing: 'closing', Closed: 'closed' } as const;
export type ClusterState = (typeof CLUSTER_STATES)[keyof typeof CLUSTER_STATES];

export interface LocalClusterOptions {
  manifestFile: string;
  runDir: string;
  propagationDelayMs?: number;
  /**
   * How long the routing layer keeps sending new connections to a removed (terminating) endpoint,
   * like a load balancer's deregistration delay; 0..3600000 and at least propagationDelayMs
   * (default: propagationDelayMs). Additions still propagate in propagationDelayMs.
   */
  deregistrationDelayMs?: number;
  onEvent?: (e: TimelineEvent) => void;
  onProgress?: (p: RolloutProgress) => void;
  /** while Deployments start: what their pods are doing (`pod x restarting (exit 1, 2×)`, `readiness: connection refused on :3000`) */
  onStartState?: (deployment: string, line: string) => void;
  onIngressAttempt?: (a: Attempt) => void;
  /** the L7 path's implementation: ingress-nginx (default) or envoy-gateway (lab/targets/local/l7-profile.ts) */
  l7?: L7Name;
  /** envoy-gateway only: the HTTPRoute rule's retry (route-retry.ts loadRouteRetry); none = Envoy Gateway's default, no retries */
  routeRetry?: RouteRetry;
  /** start the manifest's `redis` Deployment first (the ledger every other pod needs); default true */
  redisFromManifest?: boolean;
  /** bound on everything becoming available at start; default 60 s */
  startTimeoutMs?: number;
  /** pin the 127.N.0.0/16 block (tests); default: any free block */
  network?: number;
  /** run without PID namespaces even where they work (to test the fallback) */
  forceIsolationFallback?: boolean;
  /** the directory workingDir /app stands for (the image's files); default the repository root */
  appDir?: string;
  /**
   * 'netns': each pod gets its own network namespace and may bind 0.0.0.0 (needs root or
   * CAP_NET_ADMIN); 'loopback' (default): pods share the host's and bind their own 127.x.y.z;
   * 'auto': netns where the machine allows it (lab/targets/local/pod-network.ts)
   */
  podNetwork?: PodNetworkChoice;
  /** pods without securityContext.runAsUser run as root instead of the sudo user or nobody (lab/targets/local/pod-user.ts) */
  allowRootPods?: boolean;
}

/** What LocalCluster.start settles before it allocates anything. */
interface Decided {
  manifest: Manifest;
  l7: L7Profile | undefined;
  podUsers: ReadonlyMap<string, PodUser>;
  isolation: Isolation;
  net: Awaited<ReturnType<typeof choosePodNetwork>>;
}

export class LocalCluster {
  state: ClusterState = CLUSTER_STATES.Starting;
  readonly events: TimelineEvent[] = [];
  readonly notes: string[] = [];
  readonly manifest: Manifest;
  readonly isolation: Isolation;
  readonly podNetwork: PodNetworkMode;
  readonly propagationDelayMs: number;
  readonly deregistrationDelayMs: number;
  ingressUrl = '';
  redisUrl = '';
  /** where the ingress's upstream connections come from (pods tell the path apart by it) */
  get ingressSourceAddress(): string { return this.ingress?.sourceAddress ?? ''; }
  private readonly controllers = new Map<string, DeploymentController>();
  private readonly endpoints = new Map<string, ServiceEndpoints>();
  private readonly serviceAddresses = new Map<string, string>();
  private readonly forwarders: ServiceForwarder[] = [];
  private ingress: IngressProxy | undefined;
  private network: PodNetwork | undefined;
  private fatalError: Error | undefined;
  private fatalListeners: Array<(e: Error) => void> = [];
  private closing: Promise<void> | undefined;
  private unregister: () => void;
  private readonly eventsFile: string;
  /** who each Deployment's pods run as, resolved (and refused) before anything starts */
  private readonly podUsers: ReadonlyMap<string, PodUser>;

  private constructor(private readonly opts: LocalClusterOptions, private readonly block: AddressBlock, private readonly l7: L7Profile | undefined, decided: Decided) {
    this.manifest = decided.manifest;
    this.isolation = decided.isolation;
    const net = decided.net;
    this.podNetwork = net.mode;
    this.propagationDelayMs = opts.propagationDelayMs ?? DEFAULT_PROPAGATION_DELAY_MS;
    this.deregistrationDelayMs = opts.deregistrationDelayMs ?? this.propagationDelayMs;
    this.podUsers = decided.podUsers;
    this.eventsFile = resolve(opts.runDir, 'events.jsonl');
    this.unregister = registerCleanup(this);
    for (const n of this.isolation.notes) {
      this.notes.push(n);
      process.stderr.write(`\n*** deploy-loss-lab local target: ${n}\n\n`);
    }
    if (this.podNetwork === 'netns') this.notes.push(`pod network: each pod has its own network namespace (veth to a bridge, pods in 198.18.${block.block}.0/24), so replicas may all listen on 0.0.0.0`);
    else if (net.note) this.notes.push(net.note);
    for (const u of this.podUsers.values()) this.notes.push(u.note);
    this.notes.push(`endpoint propagation delay modeled as propagationDelayMs=${this.propagationDelayMs} (the only modeled quantity)`);
    if (this.deregistrationDelayMs !== this.propagationDelayMs) this.notes.push(`removed endpoints keep receiving new connections for deregistrationDelayMs=${this.deregistrationDelayMs} (modeled load-balancer deregistration delay)`);
  }

  static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
    if (opts.propagationDelayMs !== undefined && (!Number.isFinite(opts.propagationDelayMs) || opts.propagationDelayMs < 0 || opts.propagationDelayMs > 60_000)) {
      throw new LabError('LAB_BAD_OPTION', `propagationDelayMs=${opts.propagationDelayMs} is not within 0..60000`);
    }
    const d = opts.deregistrationDelayMs;
    if (d !== undefined && (!Number.isFinite(d) || d < (opts.propagationDelayMs ?? DEFAULT_PROPAGATION_DELAY_MS) || d > 3_600_000)) {
      throw new LabError('LAB_BAD_OPTION', `deregistrationDelayMs=${d} is not within propagationDelayMs..3600000`);
    }
    const decided = await LocalCluster.decide(opts);
    const block = AddressBlock.acquire(opts.network);
    let cluster: LocalCluster;
    try { cluster = new LocalCluster(opts, block, decided.l7, decided); } catch (e) { block.release(); throw e; }
    try {
      await cluster.boot();
      return cluster;
    } catch (e) {
      await cluster.close();
      throw e;
    }
  }

  /**
   * Everything settled before anything is allocated or started: the manifest and the L7 profile (bad input fails here),
   * who each Deployment's pods run as (a refusal, or a path that uid cannot reach, fails here), the
   * isolation and the pod network. The kernel is asked about the pod users' access by a child
   * process, which runs while this one probes isolation and the pod network (each kept for the process).
   */
  private static async decide(opts: LocalClusterOptions): Promise<Decided> {
    const manifest = readManifest(opts.manifestFile);
    const l7 = l7Profile(opts.l7, opts.routeRetry); // an unknown profile and a missing retry route are bad input too
    const podsDir = resolve(opts.runDir, 'pods');
    mkdirSync(podsDir, { recursive: true });
    const podUsers = new Map(manifest.deployments.map((d) => [d.name, resolvePodUser(d.template, `Deployment/${d.name}`, { allowRootPods: opts.allowRootPods })]));
    const access = Promise.all([...podUsers].map(([name, user]) => assertPodUserCanRun(user, { appDir: opts.appDir ?? REPO_ROOT, podsDir }, `Deployment/${name}`)));
    access.catch(() => undefined); // awaited below, once the probes beside it are done
    let isolation: Isolation;
    let net: Decided['net'];
    try {
      isolation = detectIsolation(opts.forceIsolationFallback);
      net = await choosePodNetwork(opts.podNetwork ?? 'loopback');
    } catch (e) {
      await access.catch(() => undefined); // no probe left running; the first error is the one said
      throw e;
    }
    await access;
    return { manifest, l7, podUsers, isolation, net };
  }

  private emit = (e: Omit<TimelineEvent, 't'>): void => {
    const ev: TimelineEvent = { t: Date.now(), ...e };
    this.events.push(ev);
    try { appendFileSync(this.eventsFile, `${JSON.stringify(ev)}\n`); } catch { /* run dir removed under us: the in-memory timeline still has it */ }
    this.opts.onEvent?.(ev);
  };

  private fatal = (err: Error): void => {
    if (this.fatalError || this.state === CLUSTER_STATES.Closing || this.state === CLUSTER_STATES.Closed) return;
    this.fatalError = err;
    this.emit({ kind: 'note', detail: `fatal: ${err.message}` });
    for (const l of this.fatalListeners) l(err);
  };

  /** Races `p` with the first fatal error of any pod (a port taken, a missing ConfigMap). */
  private orFatal<T>(p: Promise<T>): Promise<T> {
    if (this.fatalError) {
      // p still settles (LAB_CLUSTER_CLOSED once close() fails its waiters): the fatal error is the one to report
      p.catch(() => undefined);
      return Promise.reject(this.fatalError);
    }
    return new Promise<T>((res, rej) => {
      const onFatal = (e: Error) => rej(e);
      this.fatalListeners.push(onFatal);
      p.then(res, rej).finally(() => { this.fatalListeners = this.fatalListeners.filter((l) => l !== onFatal); });
    });
  }

  private podChanged = (pod: Pod): void => {
    const all = this.pods();
    for (const ep of this.endpoints.values()) ep.sync(all);
    this.controllers.get(pod.deployment)?.kick();
  };

  private serviceAddress = (dnsName: string): string | undefined => {
    const svc = serviceForDnsName(dnsName, this.manifest.namespace, [...this.endpoints.keys()]);
    return svc === undefined ? undefined : this.serviceAddresses.get(svc);
  };

  private createPod = (deployment: string, hash: string, template: Manifest['deployments'][number]['template']): Pod => {
    const pod = new Pod(podName(deployment, hash), deployment, hash, template, this.network?.podAddress() ?? this.block.podAddress(), {
      namespace: this.manifest.namespace,
      repoRoot: this.opts.appDir ?? REPO_ROOT,
      runDir: this.opts.runDir,
      isolation: this.isolation,
      user: this.podUsers.get(deployment)!,
      ...(this.network ? { network: this.network } : {}),
      manifest: this.manifest,
      serviceAddress: this.serviceAddress,
      emit: this.emit,
      changed: this.podChanged,
      fatal: this.fatal,
    });
    void pod.start();
    return pod;
  };

  /** Services some pod dials by DNS name (or `redis`, which the lab itself needs) get a local address. */
  private referencedServices(): Set<string> {
    const names = [...this.endpoints.keys()];
    const out = new Set<string>(names.filter((n) => n === 'redis'));
    for (const d of this.manifest.deployments) {
      for (const e of d.template.container.env) {
        if (!('value' in e.source)) continue;
        const v = e.source.value;
        let host: string | undefined;
        try { host = v.includes('://') ? new URL(v).hostname : /^([a-z0-9.-]+)(:\d+)?$/.exec(v)?.[1]; } catch { host = undefined; }
        const svc = host ? serviceForDnsName(host, this.manifest.namespace, names) : undefined;
        if (svc) out.add(svc);
      }
    }
    return out;
  }

  private async boot(): Promise<void> {
    if (this.podNetwork === 'netns') this.network = await PodNetwork.create(this.block.block, blockInUse);
    for (const s of this.manifest.services) this.endpoints.set(s.name, new ServiceEndpoints(s, this.propagationDelayMs, this.emit, this.deregistrationDelayMs));
    for (const name of this.referencedServices()) {
      const ep = this.endpoints.get(name)!;
      const address = this.network ? await this.network.serviceAddress() : this.block.serviceAddress();
      this.serviceAddresses.set(name, address);
      for (const [i, p] of ep.spec.ports.entries()) {
        const f = new ServiceForwarder(address, p.port, ep.view, i);
        this.forwarders.push(f);
        await f.listen().catch((e: NodeJS.ErrnoException) => {
          throw new LabError('LAB_PORT_TAKEN', `${address}:${p.port} (Service ${name}): ${e.code ?? e.message}`, { cause: e });
        });
      }
      if (name === 'redis') this.redisUrl = `redis://${address}:${ep.spec.ports[0]?.port ?? 6379}`;
    }
    for (const d of this.manifest.deployments) {
      this.controllers.set(d.name, new DeploymentController(d, { createPod: this.createPod, emit: this.emit, onProgress: this.opts.onProgress }));
    }
    const timeoutMs = this.opts.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const first = (this.opts.redisFromManifest ?? true) ? [...this.controllers.values()].filter((c) => c.name === 'redis') : [];
    const rest = [...this.controllers.values()].filter((c) => !first.includes(c));
    for (const group of [first, rest]) {
      for (const c of group) c.start();
      // a crash loop or a pod that cannot become ready stops the start at once, with the pod's own words
      const watches = group.map((c) => this.watchStart(c.name, deadline));
      await this.orFatal(underWatch(watches, Promise.all(group.map((c) => c.waitComplete(Math.max(1, deadline - Date.now()))))));
      // Redis reachable through its Service before the pods that dial it at start-up begin
      await this.orFatal(this.viewsCaughtUp(Math.max(1, deadline - Date.now()) + this.propagationDelayMs));
    }
    const spec = this.manifest.ingresses[0];
    if (spec) {
      if (this.manifest.ingresses.length > 1) this.notes.push(`only Ingress/${spec.name} is served; ${this.manifest.ingresses.length - 1} more ignored`);
      const router = ingressRouter(spec, (service, port) => {
        const ep = this.endpoints.get(service);
        if (!ep) return undefined;
        const i = ep.spec.ports.findIndex((p) => p.port === port || p.name === port);
        return i < 0 ? undefined : { view: ep.view, portIndex: i };
      });
      const profile = this.l7;
      this.ingress = new IngressProxy(router, profile?.tuning ?? tuningFor(spec), this.opts.onIngressAttempt, profile);
      // upstream connections leave from the node's address: a 127.x source cannot reach a pod's namespace
      await this.ingress.listen(this.block.ingressAddress, await ephemeralPort(this.block.ingressAddress), this.network?.gateway);
      this.ingressUrl = this.ingress.url;
    }
    this.state = CLUSTER_STATES.Running;
  }

  /** Start is over when the routing layer can reach every published endpoint, not merely when the API lists it. */
  private async viewsCaughtUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const same = () => [...this.endpoints.values()].every((ep) => {
      const published = ep.published().map((e) => e.pod).sort().join();
      return ep.view.endpoints().map((e) => e.pod).sort().join() === published;
    });
    while (!same()) {
      if (Date.now() > deadline) throw new LabError('LAB_TIMEOUT', `routing view did not catch up with the published endpoints within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private controller(name: string): DeploymentController {
    const c = this.controllers.get(name);
    if (!c) throw new LabError('LAB_UNKNOWN_OBJECT', `Deployment/${name}; the manifest has ${[...this.controllers.keys()].join(', ')}`);
    return c;
  }

  private service(name: string): ServiceEndpoints {
    const s = this.endpoints.get(name);
    if (!s) throw new LabError('LAB_UNKNOWN_OBJECT', `Service/${name}; the manifest has ${[...this.endpoints.keys()].join(', ') || 'none'}`);
    return s;
  }

  /** Every pod of every Deployment, terminating ones included. */
  pods(): Pod[] { return [...this.controllers.values()].flatMap((c) => c.pods()); }

  readyPods(deployment: string): Pod[] { return this.controller(deployment).readyPods(); }

  /** Each pod of `deployment` not yet gone, at its own address and first container port (for the serving probe). */
  podAddresses(deployment: string): PodAddress[] {
    return this.pods().filter((p) => p.deployment === deployment && p.phase !== POD_PHASES.Terminated).flatMap((p) => {
      const port = p.template.container.ports[0]?.containerPort;
      return port === undefined ? [] : [{ pod: p.name, deployment, host: p.ip, port }];
    });
  }

  progress(deployment: string): RolloutProgress { return this.controller(deployment).progress(); }

  /**
   * Watches `deployment`'s pods until stopped: its `failed` rejects with LAB_POD_CRASHLOOP or
   * LAB_POD_NEVER_READY (a PodStartError) as soon as the evidence is clear; `deadline` (epoch ms)
   * is the caller's budget, which a back-off restart may not outlast.
   */
  watchStart(deployment: string, deadline: number): StartWatch {
    this.controller(deployment);
    const onState = this.opts.onStartState;
    return new StartWatch(deployment, () => this.pods(), deadline, onState ? (line) => onState(deployment, line) : undefined);
  }

  /** The routing layer's (lagged) endpoints of a Service. */
  view(service: string): LaggedView { return this.service(service).view; }

  /** An undici `connect` function: each new connection goes to an endpoint of the lagged view and stays there. */
  l4Connect(service: string, port?: number | string): Connector {
    const s = this.service(service);
    const i = port === undefined ? 0 : s.spec.ports.findIndex((p) => p.port === port || p.name === port);
    if (i < 0) throw new LabError('LAB_UNKNOWN_OBJECT', `Service/${service} port ${String(port)}`);
    return l4Connector(s.view, i);
  }

  /** Direct URL of a pod's first container port (bypassing every routing layer). */
  serviceUrlFor(pod: Pod | string): string {
    const p = typeof pod === 'string' ? this.pods().find((x) => x.name === pod) : pod;
    if (!p) throw new LabError('LAB_UNKNOWN_OBJECT', `pod ${String(pod)}`);
    const port = p.template.container.ports[0]?.containerPort;
    if (port === undefined) throw new LabError('LAB_UNKNOWN_OBJECT', `pod ${p.name} declares no container port`);
    return `http://${p.ip}:${port}`;
  }

  /**
   * `kubectl rollout restart` of the named Deployments (default: all but the stateful Redis), all at
   * once as kubectl does; resolves when each rollout is complete and its last old pod has exited,
   * or with `untilAvailable`, as soon as Kubernetes calls it complete (every replica updated and
   * available; old pods may still be terminating, as `kubectl rollout status` sees it).
   */
  async rolloutRestart(names?: readonly string[], opts: { untilAvailable?: boolean } = {}): Promise<{ durationMs: number }> {
    if (this.state !== CLUSTER_STATES.Running) throw new LabError('LAB_CLUSTER_CLOSED', `rolloutRestart: the cluster is ${this.state}`);
    const targets = (names ?? [...this.controllers.keys()].filter((n) => !STATEFUL_DEPLOYMENTS.includes(n))).map((n) => this.controller(n));
    const started = Date.now();
    await this.orFatal(Promise.all(targets.map(async (c) => {
      c.restart();
      await c.waitComplete(c.spec.progressDeadlineSeconds * 1000, { allowTerminating: opts.untilAvailable === true });
      this.emit({ kind: 'rollout-done', deployment: c.name, detail: `${Date.now() - started} ms` });
    })));
    return { durationMs: Date.now() - started };
  }

  /**
   * Changes a ConfigMap's data and rewrites every pod volume backed by it with the kubelet's atomic
   * writer. (A real kubelet notices within its sync period, ~1 min; here it is immediate.)
   */
  async updateConfigMap(name: string, data: Record<string, string>): Promise<number> {
    if (!this.manifest.configMaps.has(name)) throw new LabError('LAB_UNKNOWN_OBJECT', `ConfigMap/${name}; the manifest has ${[...this.manifest.configMaps.keys()].join(', ') || 'none'}`);
    if (typeof data !== 'object' || data === null || Object.entries(data).some(([, v]) => typeof v !== 'string')) {
      throw new LabError('LAB_BAD_OPTION', `ConfigMap/${name}: data must map keys to strings`);
    }
    this.manifest.configMaps.set(name, { ...data });
    let touched = 0;
    for (const pod of this.pods()) if (await pod.refreshVolumes('ConfigMap', name)) touched++;
    this.emit({ kind: 'note', detail: `ConfigMap/${name} updated in ${touched} pod volume(s)` });
    return touched;
  }

  /** Host pids of every pod process still running (for leak checks). */
  hostPids(): number[] { return this.pods().flatMap((p) => p.hostPids); }

  /** Synchronous SIGKILL of every pod: the exit/signal hook path. */
  killNow(): void {
    for (const c of this.controllers.values()) c.close();
    for (const p of this.pods()) p.killNow();
    this.network?.close();
  }

  /** Stops everything this cluster started; memoised. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = CLUSTER_STATES.Closing;
      for (const c of this.controllers.values()) c.close();
      await Promise.all(this.pods().map((p) => p.kill()));
      for (const e of this.endpoints.values()) e.close();
      await Promise.all([
        ...this.pods().map((p) => p.closeLog()),
        ...this.forwarders.map((f) => f.close()),
        this.ingress?.close(),
      ]);
      this.network?.close();
      this.block.release();
      this.unregister();
      this.state = CLUSTER_STATES.Closed;
    })();
    return this.closing;
  }
}
