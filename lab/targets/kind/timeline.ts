import type { TimelineEvent } from '../../engine/schema.js';
import type { WatchedResource } from './executor.js';
import { selectorMatches } from './selector.js';
import { measureDeregistration, parseArrivals, type ArrivalBucket, type DeregistrationReport } from '../../engine/deregistration.js';

// Turns the watch streams (Deployments, Pods, EndpointSlices, Events) into the shared
// TimelineEvent list and the measured deregistration delays: for every service pod that went
// away, from its readiness failing or its deletion (whichever the lab saw first) to its endpoint
// turning not-ready in, and leaving, the Service's EndpointSlice, and to the last request it served
// (as ingress-nginx's access log records it; the L4 path keeps no per-request log).

interface PodTrack {
  pod: string;
  /** best guess for event labels (owner chain, else the app label or name); membership uses ownerOf */
  deployment: string;
  /** the ReplicaSet that controls the pod (metadata.ownerReferences) */
  replicaSet?: string;
  labels?: Record<string, string>;
  ready: boolean;
  unreadyAt?: number;
  terminatingAt?: number;
  sliceNotReadyAt?: number;
  sliceRemovedAt?: number;
  lastRequestAt?: number;
  exitCode?: number;
  /** container runs whose exit was recorded: `<container>#<restartCount>` */
  exits: Set<string>;
  /** the slice's endpoints.kubernetes.io/last-change-trigger-time when the pod turned not-ready or left it */
  triggerTime?: number | null;
}

export interface Deregistration {
  pod: string;
  /** ms from readiness failing / deletion to the endpoint's ready=false in the EndpointSlice */
  toEndpointNotReadyMs: number | null;
  /** ms from readiness failing / deletion to the endpoint leaving the EndpointSlice */
  toEndpointRemovedMs: number | null;
  /** ms from readiness failing / deletion to the last request ingress-nginx's access log shows it answering (null: none seen) */
  toLastRequestMs: number | null;
}

/** The name of the controller owner of that kind (metadata.ownerReferences with controller: true). */
function controllerOf(obj: any, kind: string): string | undefined {
  return (obj?.metadata?.ownerReferences ?? []).find((r: any) => r?.kind === kind && r?.controller !== false)?.name;
}

/** Why a container was SIGKILLed (exit code 137 = 128 + 9), or null when it was not. */
export type KillReason = 'grace-expired' | 'oom-killed' | 'killed';
export function killReason(term: { exitCode?: number; reason?: string } | undefined, terminating: boolean): KillReason | null {
  if (!term) return null;
  // the kernel's OOM killer also sends SIGKILL (137): not the rollout's doing
  if (term.reason === 'OOMKilled') return 'oom-killed';
  if (term.exitCode !== 137) return null;
  // deleted, and still running when the grace period ran out: the kubelet's SIGKILL
  return terminating ? 'grace-expired' : 'killed';
}

export interface Kill { pod: string; deployment: string | undefined; reason: KillReason; t: number; began: number }

export class Timeline {
  readonly events: TimelineEvent[] = [];
  private readonly pods = new Map<string, PodTrack>();
  /** pod → last known state in the service's EndpointSlices (slice name → endpoint conditions) */
  private readonly endpoints = new Map<string, Map<string, { ready: boolean; serving: boolean; terminating: boolean }>>();
  private readonly readySamples: Array<{ t: number; ready: number }> = [];
  private readonly podByIp = new Map<string, string>();
  /** service pod → its `arrivals` buckets (service/arrivals.ts), the pod-side record of the measurement */
  private readonly arrivals = new Map<string, ArrivalBucket[]>();

  /** ReplicaSet → the Deployment that controls it */
  private readonly rsOwner = new Map<string, string>();
  /** Deployment → its spec.selector, for pods whose ReplicaSet was not seen */
  private readonly selectors = new Map<string, any>();
  private readonly kills: Kill[] = [];

  /**
   * `serviceName`: the Service whose EndpointSlices are followed; `deployment`: the Deployment whose
   * pods' deregistrations are measured (the lab's are both `service`; a user's may differ).
   */
  constructor(private readonly serviceName = 'service', private readonly deployment = serviceName) {}

  push(e: TimelineEvent): void {
    this.events.push(e);
  }

  private track(name: string, deployment: string): PodTrack {
    let p = this.pods.get(name);
    if (!p) this.pods.set(name, (p = { pod: name, deployment, ready: false, exits: new Set() }));
    return p;
  }

  on(resource: WatchedResource, type: string, obj: any, t: number): void {
    if (resource === 'Deployment' && obj?.metadata?.name) this.selectors.set(obj.metadata.name, obj.spec?.selector);
    else if (resource === 'ReplicaSet' && obj?.metadata?.name) {
      const owner = controllerOf(obj, 'Deployment');
      if (owner) this.rsOwner.set(obj.metadata.name, owner);
    } else if (resource === 'Pod') this.onPod(type, obj, t);
    else if (resource === 'EndpointSlice') this.onSlice(type, obj, t);
    else if (resource === 'Event') {
      const io = obj?.involvedObject;
      this.push({ t, kind: 'note', detail: `event ${obj?.reason ?? '?'} ${io?.kind ?? '?'}/${io?.name ?? '?'}: ${obj?.message ?? ''}`.slice(0, 300) });
    }
  }

  private onPod(type: string, pod: any, t: number): void {
    const name: string | undefined = pod?.metadata?.name;
    if (!name) return;
    const known = this.pods.has(name);
    const p = this.track(name, '?');
    p.replicaSet ??= controllerOf(pod, 'ReplicaSet');
    p.labels = pod.metadata?.labels ?? p.labels;
    const deployment = this.ownerOf(p) ?? pod?.metadata?.labels?.app ?? name.replace(/-[a-z0-9]+-[a-z0-9]+$/, '');
    p.deployment = deployment;
    if (!known && type !== 'DELETED') this.push({ t, kind: 'pod-created', deployment, pod: name });
    if (pod.status?.podIP) this.podByIp.set(pod.status.podIP, name);
    const ready = (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
    if (ready && !p.ready) this.push({ t, kind: 'pod-ready', deployment, pod: name });
    if (!ready && p.ready) {
      p.unreadyAt ??= t;
      this.push({ t, kind: 'pod-unready', deployment, pod: name });
    }
    p.ready = ready;
    if (pod.metadata?.deletionTimestamp && p.terminatingAt === undefined) {
      p.terminatingAt = t;
      this.push({ t, kind: 'pod-terminating', deployment, pod: name });
    }
    for (const cs of pod.status?.containerStatuses ?? []) {
      const restarts: number = cs?.restartCount ?? 0;
      // Each run of a container exits once: the current one (state) and, when the watch saw the
      // restart before the exit, the previous one (lastState). A container that was OOM-killed and
      // restarted can still be SIGKILLed later, when the rollout deletes its pod.
      const runs: Array<[any, number, boolean]> = [[cs?.lastState?.terminated, restarts - 1, false], [cs?.state?.terminated, restarts, true]];
      for (const [term, run, current] of runs) {
        const key = `${cs?.name ?? ''}#${run}`;
        if (!term || run < 0 || p.exits.has(key)) continue;
        p.exits.add(key);
        p.exitCode ??= term.exitCode;
        this.push({ t, kind: 'pod-exit', deployment, pod: name, exitCode: term.exitCode ?? null, detail: term.reason });
        // only the current run can have been ended by the deletion: a run that restarted was not
        const reason = killReason(term, current && (p.terminatingAt !== undefined || Boolean(pod.metadata?.deletionTimestamp)));
        if (reason) this.kills.push({ pod: name, deployment: this.ownerOf(p), reason, t, began: current ? p.terminatingAt ?? t : t });
        // Only the kubelet's kill at the end of the grace period is the rollout's SIGKILL; an OOM kill is noted.
        if (reason === 'grace-expired') this.push({ t, kind: 'sigkill', deployment, pod: name });
        else if (reason) this.push({ t, kind: 'note', deployment, pod: name, detail: `container ${cs.name ?? ''} ${reason} (exit ${term.exitCode ?? '?'}, ${term.reason ?? 'no reason'})` });
      }
    }
  }

  private onSlice(type: string, slice: any, t: number): void {
    if (slice?.metadata?.labels?.['kubernetes.io/service-name'] !== this.serviceName) return;
    const sliceName: string = slice.metadata.name;
    const present = new Set<string>();
    for (const ep of type === 'DELETED' ? [] : slice.endpoints ?? []) {
      const pod = ep?.targetRef?.kind === 'Pod' ? (ep.targetRef.name as string) : undefined;
      if (!pod) continue;
      present.add(pod);
      const c = { ready: ep.conditions?.ready !== false, serving: ep.conditions?.serving !== false, terminating: ep.conditions?.terminating === true };
      const states = this.endpoints.get(pod) ?? new Map();
      const prev = states.get(sliceName);
      const p = this.track(pod, this.deployment);
      if (!prev) this.push({ t, kind: 'endpoint-added', deployment: this.serviceName, pod, detail: `ready=${c.ready} serving=${c.serving} terminating=${c.terminating}` });
      else if (prev.ready !== c.ready || prev.serving !== c.serving || prev.terminating !== c.terminating) {
        this.push({ t, kind: 'note', deployment: this.serviceName, pod, detail: `endpoint ready=${c.ready} serving=${c.serving} terminating=${c.terminating}` });
      }
      if (!c.ready && p.sliceNotReadyAt === undefined) {
        p.sliceNotReadyAt = t;
        p.triggerTime ??= triggerTimeOf(slice);
      }
      states.set(sliceName, c);
      this.endpoints.set(pod, states);
    }
    for (const [pod, states] of this.endpoints) {
      if (!states.has(sliceName) || present.has(pod)) continue;
      states.delete(sliceName);
      if (states.size === 0) {
        this.endpoints.delete(pod);
        const p = this.track(pod, this.deployment);
        p.sliceRemovedAt ??= t;
        p.triggerTime ??= triggerTimeOf(slice);
        this.push({ t, kind: 'endpoint-removed', deployment: this.serviceName, pod });
      }
    }
    let ready = 0;
    for (const states of this.endpoints.values()) if ([...states.values()].some((s) => s.ready)) ready++;
    this.readySamples.push({ t, ready });
  }

  /**
   * A line of a service pod's log (kubelet timestamp in ms). The service logs lifecycle events, not
   * requests (no per-request logger, for speed), so these mark SIGTERM and the shutdown steps.
   */
  onLogLine(pod: string, t: number | null, text: string): void {
    if (t === null || !text.startsWith('{')) return;
    let o: any;
    try {
      o = JSON.parse(text);
    } catch {
      return;
    }
    if (isRequestLine(text)) this.served(pod, t);
    if (typeof o?.event !== 'string') return;
    if (o.event === 'arrivals') this.arrivals.set(pod, [...(this.arrivals.get(pod) ?? []), ...parseArrivals(text)]);
    if (o.event === 'signal') this.push({ t, kind: 'sigterm', deployment: this.serviceName, pod, detail: String(o.signal ?? '') });
    else if (LIFECYCLE.has(o.event)) this.push({ t, kind: 'note', deployment: this.serviceName, pod, detail: o.event });
  }

  /**
   * A line of the ingress-nginx controller's access log: the upstream address(es) it sent the
   * request to, the last being the one that answered. That pod served a request at `t`.
   */
  onIngressLogLine(t: number | null, text: string): void {
    if (t === null) return;
    const ip = lastUpstreamIp(text);
    const pod = ip ? this.podByIp.get(ip) : undefined;
    if (pod) this.served(pod, t);
  }

  private served(pod: string, t: number): void {
    const p = this.track(pod, this.deployment);
    if (p.lastRequestAt === undefined || t > p.lastRequestAt) p.lastRequestAt = t;
  }

  /**
   * Per old service pod, its deregistration delays. With `window`, only pods whose going-away
   * started inside it: a pod of the previous arm still terminating when the run began is not this run's.
   */
  /**
   * The Deployment that owns a pod: through the ReplicaSet that controls it (ownerReferences), else
   * (that ReplicaSet not seen) the Deployment whose selector — matchLabels and matchExpressions —
   * selects its labels. undefined: no Deployment the watch saw owns it (the k6 pod, a bare pod).
   */
  ownerOf(p: { replicaSet?: string; labels?: Record<string, string> }): string | undefined {
    const byRs = p.replicaSet ? this.rsOwner.get(p.replicaSet) : undefined;
    if (byRs) return byRs;
    for (const [name, sel] of this.selectors) if (selectorMatches(sel, p.labels)) return name;
    return undefined;
  }

  /** Whether the pod is one of `this.deployment`'s (a pod only the EndpointSlice named is taken as the Service's). */
  private belongs(p: PodTrack): boolean {
    if (p.replicaSet === undefined && p.labels === undefined) return p.deployment === this.deployment;
    return this.ownerOf(p) === this.deployment;
  }

  deregistrations(window?: Span): Deregistration[] {
    const out: Deregistration[] = [];
    for (const p of this.pods.values()) {
      if (!this.belongs(p)) continue;
      const from = [p.unreadyAt, p.terminatingAt].filter((x): x is number => x !== undefined);
      if (from.length === 0) continue;
      const start = Math.min(...from);
      if (window && !inside(window, start)) continue;
      const d = (x: number | undefined) => (x === undefined ? null : x - start);
      out.push({ pod: p.pod, toEndpointNotReadyMs: d(p.sliceNotReadyAt), toEndpointRemovedMs: d(p.sliceRemovedAt), toLastRequestMs: d(p.lastRequestAt) });
    }
    return out;
  }

  /**
   * The shared measurement (lab/engine/deregistration.ts) from the pods' own `arrivals` lines: a pod
   * left the endpoints when its EndpointSlice entry turned ready=false (or left the slice, if
   * earlier). The routing layer's own view is not observable on a cluster (routingStoppedAt null).
   * Path: the k6 pod reaches the Service's ClusterIP and kube-proxy only DNATs, so its address is the
   * peer on L4; every other peer is the ingress controller (which dials pod IPs directly).
   */
  deregistrationReport(): DeregistrationReport {
    const left = [...this.pods.values()].flatMap((p) => {
      if (!this.belongs(p)) return [];
      const at = [p.sliceNotReadyAt, p.sliceRemovedAt].filter((x): x is number => x !== undefined);
      return at.length ? [{ pod: p.pod, leftAt: Math.min(...at), routingStoppedAt: null, triggerTime: p.triggerTime ?? null }] : [];
    });
    const k6 = new Set([...this.podByIp].filter(([, pod]) => pod.startsWith('k6-')).map(([ip]) => ip));
    return measureDeregistration(left, this.arrivals, (remote) => (k6.has(remote) ? 'l4' : 'ingress'));
  }

  /** Fewest service endpoints ready in the EndpointSlices during [start, end] (the state entering the window counts). */
  minReadyEndpoints(start: number, end: number): number | null {
    let before: number | null = null;
    let min: number | null = null;
    for (const s of this.readySamples) {
      if (s.t < start) before = s.ready;
      else if (s.t <= end) min = Math.min(min ?? s.ready, s.ready);
    }
    if (before !== null) min = Math.min(min ?? before, before);
    return min;
  }

  /**
   * Every SIGKILLed container (exit 137 or OOMKilled) with its reason. With `window`, only pods whose
   * termination (deletion seen, else the kill itself) started inside it: the previous arm's pods
   * finishing their grace period are not counted. With `deployment`, only that Deployment's pods
   * (through the ReplicaSets it owns): not the k6 pod, not another Deployment rolling at the same time.
   */
  killed(window?: Span, deployment?: string): Kill[] {
    return this.kills.filter((k) => {
      if (window && !inside(window, this.pods.get(k.pod)?.terminatingAt ?? k.began)) return false;
      if (deployment === undefined) return true;
      const p = this.pods.get(k.pod);
      return (p ? this.ownerOf(p) : k.deployment) === deployment;
    });
  }

  /** SIGKILLs at the end of the grace period (see killed): the rollout's, not OOM kills. */
  sigkills(window?: Span, deployment?: string): number {
    return this.killed(window, deployment).filter((k) => k.reason === 'grace-expired').length;
  }
}

function triggerTimeOf(slice: any): number | null {
  const v = slice?.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'];
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? null : t;
}

export interface Span { start: number; end: number }
const inside = (w: Span, t: number) => t >= w.start && t <= w.end;

const LIFECYCLE = new Set(['readiness-flipped', 'listener-closed', 'connections-drained', 'sockets-force-closed', 'dependency-closed', 'guardian-fired', 'second-signal', 'exit']);

/**
 * ingress-nginx's default log format ends `... [$proxy_upstream_name] [$proxy_alternative_upstream_name]
 * $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`;
 * $upstream_addr is `ip:port` or, after a retry, `ip:port, ip:port`.
 */
export function lastUpstreamIp(line: string): string | null {
  const m = /\] \[[^\]]*\] ((?:\d{1,3}(?:\.\d{1,3}){3}:\d+(?:, )?)+)/.exec(line);
  if (!m) return null;
  const last = m[1]!.split(', ').pop()!;
  return last.slice(0, last.lastIndexOf(':'));
}

/** A pino line of a completed request (fastify's "request completed" with res.statusCode). */
export function isRequestLine(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    const o = JSON.parse(text);
    return typeof o?.res?.statusCode === 'number' || o?.msg === 'request completed' || o?.event === 'request';
  } catch {
    return false;
  }
}
