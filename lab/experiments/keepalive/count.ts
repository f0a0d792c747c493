import type { RequestRecord } from '../../../loadtest/records.js';
import type { Attempt } from '../../targets/local/ingress.js';
import { isKeepAliveRace, RACE_TOLERANCE_MS } from '../../targets/local/keepalive-race.js';

// The keepalive experiment's counts for one run, through the ingress only (the L4 path has no proxy
// pool to race), by window and by method. Besides the races themselves it counts the *exposure*: the
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

export interface RunCounts {
  rows: KeepAliveRow[];
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
  return { rows: [...rows.values()], idleHistogram, failedTries };
}
