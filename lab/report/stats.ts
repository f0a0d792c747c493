import type { RequestRecord } from '../../loadtest/records.js';

// The one statistics module of the lab: how a percentile, a median, the deploy window and "jobs
// lost" are defined. Both targets (lab/engine/protocol.ts for local, lab/targets/kind/ for kind)
// build their rows from these definitions, so a column means the same thing whichever target
// produced it. Further estimators (intervals, tests) belong here too, each with its definition.

/**
 * Percentile p (0..100) with k6's estimator, so a local p99 and a k6 p(99) are the same statistic:
 * sort ascending, i = p/100 × (n − 1), then interpolate linearly between the values at floor(i) and
 * ceil(i) (Hyndman & Fan type 7). No values → 0; one value → that value. Source:
 * grafana/k6 metrics/sink.go, TrendSink.P (the summary's "p(99)"; its "med" is P(0.5)).
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const s = Float64Array.from(values).sort();
  const i = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = s[Math.floor(i)]!;
  const hi = s[Math.ceil(i)]!;
  return lo + (hi - lo) * (i - Math.floor(i));
}

/** The median is the 50th percentile of the same estimator: the mean of the two middle values of an even count. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Smallest and largest value without spreading the array into arguments (which overflows the stack at ~10^5). */
export function extent(values: Iterable<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0, n: 0 };
  return { median: median(values), ...extent(values), n: values.length };
}

/** Largest relative deviation of any repetition from the median, e.g. 0.12 for ±12 %. */
export function relativeSpread(s: Spread): number {
  if (s.n < 2 || s.median === 0) return s.max === s.min ? 0 : Infinity;
  return Math.max(s.max - s.median, s.median - s.min) / s.median;
}

// ---- the deploy window

export interface Interval {
  start: number;
  end: number;
}

/** How far before the rollout call a target's own rollout-start event may lie and still open the window. */
const ROLLOUT_EVENT_SLACK_MS = 1000;

/**
 * The deploy window: from the first rollout of the first deploy (the rollout call, or a
 * `rollout-start` event the target recorded just before it) to the moment the last rollout was
 * complete with its last old pod gone (the later of the last call's return and the last
 * `rollout-done` event). Measured, not planned: kind's fixed k6 deploy phase is longer than this.
 */
export function deployWindow(events: readonly { t: number; kind: string }[], firstCallAt: number, lastDoneAt: number): Interval {
  let start = firstCallAt;
  let end = lastDoneAt;
  for (const e of events) {
    if (e.kind === 'rollout-start' && e.t >= firstCallAt - ROLLOUT_EVENT_SLACK_MS && e.t < start) start = e.t;
    if (e.kind === 'rollout-done' && e.t > end) end = e.t;
  }
  return { start, end };
}

/** A request belongs to the window if its life [t_sched, t_end] overlaps it: one reset by the first rollout counts. */
export const inWindow = (r: RequestRecord, w: Interval): boolean => r.t_sched <= w.end && r.t_end >= w.start;

/** A request belongs to the baseline by its scheduled time. */
export const inBaseline = (r: RequestRecord, b: Interval): boolean => r.t_sched >= b.start && r.t_sched <= b.end;

// ---- jobs lost

/**
 * "Jobs lost" = jobs the service accepted (HTTP 202) whose side effect was never applied, audited
 * (lab/shared/ledger-audit.ts) once the queue holds none of these states, polled every
 * QUEUE_DRAIN.pollMs for at most QUEUE_DRAIN.timeoutMs (lab/shared/queue-drain.ts); jobs still
 * pending then count as lost, with a note. Failed jobs are not pending: they stay lost.
 */
export const PENDING_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const;
export const QUEUE_DRAIN = { pollMs: 250, timeoutMs: 60_000 } as const;
