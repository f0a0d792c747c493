import { percentile } from '../report/stats.js';

// The deregistration delay, measured: for each pod that went away, the last request routed to it
// minus the moment it left the Service's endpoints. The pod's side comes from the service's own
// `arrivals` log lines (service/arrivals.ts), so the same computation runs on the local target's
// pod logs and on `kubectl logs` of a cluster; only "when it left the endpoints" differs (the local
// target's endpoint-removed event; on a cluster the EndpointSlice's ready=false or removal).
//
// Which arrivals count as "routed": every request through the ingress (its balancer picks an
// endpoint per request, even on a kept-alive upstream connection), and the FIRST request of each
// new L4 connection (kube-proxy picks per connection; a kept-alive L4 connection is pinned and keeps
// bringing requests until the app closes it — reported separately as l4 reused, which preStop
// cannot shorten, the drain lever's Connection: close does).

export const PATHS = ['l4', 'ingress'] as const;
export type RoutePath = (typeof PATHS)[number];
export const CONNS = ['new', 'reused'] as const;
export type ConnKind = (typeof CONNS)[number];

/** One `arrivals` bucket as service/arrivals.ts logs it. */
export interface ArrivalBucket { remote: string; reused: boolean; n: number; first: number; last: number }

export interface LeftEndpoints {
  pod: string;
  /** epoch ms: the pod left the published endpoints (endpoint-removed; on a cluster the slice's ready=false) */
  leftAt: number;
  /** epoch ms: the routing layer dropped it (local: the lagged view); null where not observable (kind) */
  routingStoppedAt: number | null;
  /** cluster side, where known: the EndpointSlice's endpoints.kubernetes.io/last-change-trigger-time */
  triggerTime?: number | null;
}

export interface DelayStats { count: number; p50Ms: number; p99Ms: number; maxMs: number }

export interface PodDeregistration extends LeftEndpoints {
  /** last arrival per path and connection kind (epoch ms), null: none after leftAt */
  lastAfterLeft: Record<RoutePath, Record<ConnKind, number | null>>;
  /** requests that arrived after leftAt, per path and connection kind */
  lateCount: Record<RoutePath, Record<ConnKind, number>>;
  /** last routed request − leftAt (ms); null: nothing was routed to it after it left */
  delayMs: number | null;
}

export interface DeregistrationReport {
  /** false: no request reached a terminating pod after it left the endpoints; every stat is null */
  measurable: boolean;
  reason?: string;
  /** what counts as routed, in one sentence, for readers of summary.json */
  definition: string;
  /** per pod: the routed delay (ingress any, L4 new connections); count = pods with at least one */
  routed: DelayStats | null;
  byPath: Record<RoutePath, Record<ConnKind, DelayStats | null>>;
  /** local: view-removed − endpoint-removed, i.e. the modeled propagation as observed */
  routingLag: DelayStats | null;
  pods: PodDeregistration[];
}

/** The fields of schema.ts's TimelineEvent used here (schema.ts imports this file's types). */
export interface EventLike { t: number; kind: string; pod?: string; deployment?: string }

export const DEFINITION = 'last request routed to a terminating pod (every ingress request; the first request of each new L4 connection) minus the moment it left the endpoints; count = pods that got one';

/** Parses `arrivals` lines from a pod log (local: "<ISO> stdout {json}", kubectl logs: "{json}"). */
export function parseArrivals(log: string): ArrivalBucket[] {
  const out: ArrivalBucket[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('"arrivals"')) continue;
    const i = line.indexOf('{');
    if (i < 0) continue;
    let o: any;
    try { o = JSON.parse(line.slice(i)); } catch { continue; }
    if (o?.event !== 'arrivals' || !Array.isArray(o.by)) continue;
    for (const b of o.by) {
      if (typeof b?.remote === 'string' && typeof b.last === 'number' && typeof b.n === 'number') {
        out.push({ remote: b.remote, reused: b.reused === true, n: b.n, first: typeof b.first === 'number' ? b.first : b.last, last: b.last });
      }
    }
  }
  return out;
}

export function stats(values: readonly number[]): DelayStats | null {
  if (values.length === 0) return null;
  return { count: values.length, p50Ms: Math.round(percentile(values, 50)), p99Ms: Math.round(percentile(values, 99)), maxMs: Math.round(Math.max(...values)) };
}

const grid = <T>(f: () => T): Record<RoutePath, Record<ConnKind, T>> => ({ l4: { new: f(), reused: f() }, ingress: { new: f(), reused: f() } });

/** Which path an arrival came by, from its peer address (IPv4-mapped IPv6 is unwrapped first). */
export type PathOf = (remote: string) => RoutePath;

/** Local target: the ingress connects from its own address; anything else is L4. */
export const ingressFrom = (sources: ReadonlySet<string>): PathOf => (remote) => (sources.has(remote) ? 'ingress' : 'l4');

function measurePod(left: LeftEndpoints, buckets: readonly ArrivalBucket[], pathOf: PathOf): PodDeregistration {
  const lastAfterLeft = grid<number | null>(() => null);
  const lateCount = grid(() => 0);
  for (const b of buckets) {
    if (b.last <= left.leftAt) continue;
    const path = pathOf(b.remote.replace(/^::ffff:/, ''));
    const conn: ConnKind = b.reused ? 'reused' : 'new';
    lastAfterLeft[path][conn] = Math.max(lastAfterLeft[path][conn] ?? 0, b.last);
    // a bucket straddling leftAt: only part of its n arrived late; count it as at least one
    lateCount[path][conn] += b.first > left.leftAt ? b.n : 1;
  }
  const routed = [lastAfterLeft.ingress.new, lastAfterLeft.ingress.reused, lastAfterLeft.l4.new].filter((t): t is number => t !== null);
  return { ...left, lastAfterLeft, lateCount, delayMs: routed.length ? Math.max(...routed) - left.leftAt : null };
}

/** The report for one run: `arrivals` maps pod name → its parsed buckets (missing = no log). */
export function measureDeregistration(left: readonly LeftEndpoints[], arrivals: ReadonlyMap<string, readonly ArrivalBucket[]>, pathOf: PathOf): DeregistrationReport {
  const pods = left.map((l) => measurePod(l, arrivals.get(l.pod) ?? [], pathOf));
  const byPath = grid<DelayStats | null>(() => null);
  for (const p of PATHS) for (const c of CONNS) {
    byPath[p][c] = stats(pods.flatMap((d) => (d.lastAfterLeft[p][c] === null ? [] : [d.lastAfterLeft[p][c]! - d.leftAt])));
  }
  const routed = stats(pods.flatMap((d) => (d.delayMs === null ? [] : [d.delayMs])));
  const routingLag = stats(pods.flatMap((d) => (d.routingStoppedAt === null ? [] : [d.routingStoppedAt - d.leftAt])));
  const anyLate = pods.some((d) => PATHS.some((p) => CONNS.some((c) => d.lastAfterLeft[p][c] !== null)));
  const reason = left.length === 0 ? 'no pod left the endpoints during the run'
    : !anyLate ? `not measurable: none of the ${left.length} pods that left the endpoints received a request afterwards (no traffic, or the pod logs carry no arrivals lines)`
      : routed === null ? 'not measurable on the routed paths: only reused L4 connections reached a terminating pod' : undefined;
  return { measurable: routed !== null, ...(reason ? { reason } : {}), definition: DEFINITION, routed, byPath, routingLag, pods };
}

/** Local target: when each pod of the serving Deployment left the endpoints and the lagged view, from the run's events. */
export function leftEndpointsFromEvents(events: readonly EventLike[], deployment: string): LeftEndpoints[] {
  const out: LeftEndpoints[] = [];
  const terminating = events.filter((e) => e.kind === 'pod-terminating' && e.deployment === deployment && e.pod);
  for (const term of terminating) {
    const pod = term.pod!;
    // a readiness failure before the deletion already took it out: the first removal counts
    const removed = events.filter((e) => e.kind === 'endpoint-removed' && e.pod === pod && e.t <= term.t + 50).at(-1)
      ?? events.find((e) => e.kind === 'endpoint-removed' && e.pod === pod && e.t >= term.t);
    const viewGone = removed ? events.find((e) => e.kind === 'view-removed' && e.pod === pod && e.t >= removed.t) : undefined;
    out.push({ pod, leftAt: removed?.t ?? term.t, routingStoppedAt: viewGone?.t ?? null });
  }
  return out;
}
