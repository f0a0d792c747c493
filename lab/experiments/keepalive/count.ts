import { rawClassOf, reusedWithoutResponse, type RequestRecord } from '../../../loadtest/records.js';
import type { Attempt } from '../../targets/local/ingress.js';
import { isKeepAliveRace, RACE_TOLERANCE_MS } from '../../targets/local/keepalive-race.js';

// The keepalive experiment's counts for one run, by window and by method: through the ingress (the
// proxy's upstream pool races the app's idle close) and, apart, on the L4 path (the client's own pool does). Besides the races themselves it counts the *exposure*: the
// reused tries whose connection had been idle within the tolerance of the app's measured close. Each
// of those was a chance for the race; whether it became one depends on the race window (round trip +
// event-loop lag), which is microseconds to milliseconds wide on one machine. Exposure with no race
// says the arm's timeouts are out of order but this machine's window is too narrow to show it.

export const WINDOWS = ['steady', 'deploy'] as const;
export type WindowName = (typeof WINDOWS)[number];

export interface KeepAliveRow {
  window: WindowName;
  method: string;
  /** client requests sent via the ingress, and those that failed (any non-2xx class) */
  requests: number;
  failed: number;
  /** the proxy's upstream tries, those on a reused connection, and those reused near the app's close */
  tries: number;
  reused: number;
  exposed: number;
  races: number;
  /** races the proxy retried on another endpoint (invisible to the client) / answered with its 502 */
  racesRetried: number;
  racesAnswered: number;
}

/** Reused tries by the connection's idle age, 0.5 s buckets; the last bucket holds everything from 10 s on. */
export const IDLE_BUCKET_MS = 500;
export const IDLE_BUCKETS = 21;

/** One failed upstream try, as evidence: when (ms from the load's start), on which pod, in what state that pod was. */
export interface FailedTry {
  atMs: number;
  window: WindowName;
  method: string;
  pod: string;
  outcome: string;
  reused: boolean;
  idleMs: number | null;
  race: boolean;
  /** the client got this failure (the proxy did not retry it) */
  answered: boolean;
  /** ms since the pod was told to terminate; null: it was not terminating */
  podTerminatingForMs: number | null;
}

/**
 * The L4 path, where the client's own pool is what races the app's idle close: no proxy sits between
 * them. Per window and method: requests, raw failures (before the client's own resends), those with
 * the race's signature (a reused connection that failed before any response byte), the requests the
 * client resent (the go client: Go's Transport rule) and the failures it reported.
 */
export interface L4Row {
  window: WindowName;
  method: string;
  requests: number;
  raw: number;
  races: number;
  resent: number;
  failed: number;
}

export interface RunCounts {
  rows: KeepAliveRow[];
  /** absent in batches made before the L4 path was counted */
  l4Rows?: L4Row[];
  idleHistogram: number[];
  failedTries: FailedTry[];
}

export function countRun(x: {
  attempts: ReadonlyArray<Attempt & { t: number }>;
  records: readonly RequestRecord[];
  /** route name → method (the scenario's mix) */
  methodOf: ReadonlyMap<string, string>;
  window: { start: number; end: number };
  closeMs: number | undefined;
  /** when each pod was told to terminate (epoch ms) */
  terminatingAt: ReadonlyMap<string, number>;
  /** the load's start (epoch ms) */
  startedAt: number;
}): RunCounts {
  const which = (t: number): WindowName => (t >= x.window.start && t <= x.window.end ? 'deploy' : 'steady');
  const rows = new Map<string, KeepAliveRow>();
  const row = (w: WindowName, method: string) => {
    const k = `${w} ${method}`;
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { window: w, method, requests: 0, failed: 0, tries: 0, reused: 0, exposed: 0, races: 0, racesRetried: 0, racesAnswered: 0 }));
    return r;
  };
  for (const w of WINDOWS) for (const m of new Set(x.methodOf.values())) row(w, m);
  for (const r of x.records) {
    if (r.path !== 'ingress') continue;
    const o = row(which(r.t_sched), x.methodOf.get(r.route) ?? 'GET');
    o.requests++;
    if (r.class !== 'ok') o.failed++;
  }
  const idleHistogram = new Array<number>(IDLE_BUCKETS).fill(0);
  const failedTries: FailedTry[] = [];
  for (const a of x.attempts) {
    const o = row(which(a.t), a.method);
    o.tries++;
    if (typeof a.outcome === 'string' && a.sent) {
      const term = x.terminatingAt.get(a.pod);
      failedTries.push({
        atMs: a.t - x.startedAt, window: which(a.t), method: a.method, pod: a.pod, outcome: a.outcome, reused: a.upstream?.reused ?? false,
        idleMs: a.upstream?.idleMs ?? null, race: isKeepAliveRace(a, x.closeMs), answered: a.last ?? false,
        podTerminatingForMs: term !== undefined && term <= a.t ? a.t - term : null,
      });
    }
    if (!a.upstream?.reused) continue;
    o.reused++;
    idleHistogram[Math.min(IDLE_BUCKETS - 1, Math.floor(a.upstream.idleMs / IDLE_BUCKET_MS))]!++;
    if (x.closeMs !== undefined && Math.abs(a.upstream.idleMs - x.closeMs) <= RACE_TOLERANCE_MS) o.exposed++;
    if (!isKeepAliveRace(a, x.closeMs)) continue;
    o.races++;
    if (a.last) o.racesAnswered++; else o.racesRetried++;
  }
  return { rows: [...rows.values()], l4Rows: countL4(x.records, x.methodOf, which), idleHistogram, failedTries };
}

function countL4(records: readonly RequestRecord[], methodOf: ReadonlyMap<string, string>, which: (t: number) => WindowName): L4Row[] {
  const rows = new Map<string, L4Row>();
  for (const w of WINDOWS) for (const m of new Set(methodOf.values())) rows.set(`${w} ${m}`, { window: w, method: m, requests: 0, raw: 0, races: 0, resent: 0, failed: 0 });
  for (const r of records) {
    if (r.path !== 'l4') continue;
    const o = rows.get(`${which(r.t_sched)} ${methodOf.get(r.route) ?? 'GET'}`)!;
    o.requests++;
    const raw = rawClassOf(r) !== 'ok';
    if (raw) o.raw++;
    if (raw && reusedWithoutResponse(r)) o.races++;
    if (r.retries) o.resent++;
    if (r.class !== 'ok') o.failed++;
  }
  return [...rows.values()];
}
