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
 * (lab/support/ledger-audit.ts) once the queue holds none of these states, polled every
 * QUEUE_DRAIN.pollMs for at most QUEUE_DRAIN.timeoutMs (lab/support/queue-drain.ts); jobs still
 * pending then count as lost, with a note. Failed jobs are not pending: they stay lost.
 */
export const PENDING_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const;
export const QUEUE_DRAIN = { pollMs: 250, timeoutMs: 60_000 } as const;

// Uncertainty over repetitions. Hand-written: each is a few lines, the well-known libraries
// (simple-statistics, jStat) are not installed, and the lab needs them exact for tiny n.

/** Mid-ranks (ties share the mean rank), 1-based. */
function ranks(all: readonly number[]): number[] {
  const order = all.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const r = new Array<number>(all.length);
  for (let k = 0; k < order.length;) {
    let e = k;
    while (e + 1 < order.length && order[e + 1]!.v === order[k]!.v) e++;
    for (let m = k; m <= e; m++) r[order[m]!.i] = (k + e) / 2 + 1;
    k = e + 1;
  }
  return r;
}

/** Largest number of label arrangements the exact test enumerates (C(20,10) = 184,756). */
const EXACT_LIMIT = 200_000;

function binom(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/** Standard normal upper tail via erfc (Numerical Recipes' rational approximation, |error| < 1.2e-7). */
function normalUpper(z: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(z) / Math.SQRT2);
  const y = t * Math.exp(-(z * z) / 2 - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? y / 2 : 1 - y / 2;
}

export interface RankTest {
  u: number;
  p: number;
  method: 'exact' | 'normal';
}

/**
 * Two-sided Mann–Whitney U test of a vs b. Exact (every arrangement of the pooled mid-ranks, so
 * ties are handled exactly) while C(n1+n2, n1) ≤ 200,000; beyond that the normal approximation with
 * the tie correction. With 5 vs 5 completely separated samples p = 2/252 ≈ 0.008.
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): RankTest {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: 0, p: 1, method: 'exact' };
  const r = ranks([...a, ...b]);
  const r1 = r.slice(0, n1).reduce((s, x) => s + x, 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const dev = Math.abs(u - mean) - 1e-9;
  if (binom(n1 + n2, n1) <= EXACT_LIMIT) {
    let extreme = 0;
    let total = 0;
    const pick = (start: number, left: number, sum: number) => {
      if (left === 0) {
        total++;
        if (Math.abs(sum - (n1 * (n1 + 1)) / 2 - mean) >= dev) extreme++;
        return;
      }
      for (let i = start; i <= r.length - left; i++) pick(i + 1, left - 1, sum + r[i]!);
    };
    pick(0, n1, 0);
    return { u, p: Math.min(1, extreme / total), method: 'exact' };
  }
  const n = n1 + n2;
  const ties = [...new Set(r)].map((v) => r.filter((x) => x === v).length).reduce((s, t) => s + t ** 3 - t, 0);
  const sd = Math.sqrt((n1 * n2 / 12) * (n + 1 - ties / (n * (n - 1))));
  if (sd === 0) return { u, p: 1, method: 'normal' };
  return { u, p: Math.min(1, 2 * normalUpper((Math.abs(u - mean) - 0.5) / sd)), method: 'normal' };
}

// ---- what an interval over few repetitions can claim

/** P(X ≤ k) for X ~ Binomial(n, 1/2). */
function binomHalfCdf(n: number, k: number): number {
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += binom(n, i);
  return sum / 2 ** n;
}

export interface MedianInterval { lo: number; hi: number; coverage: number }

/**
 * Distribution-free interval of the median from order statistics: [x(k), x(n+1−k)] holds the true
 * median with probability 1 − 2·P(Bin(n, ½) ≤ k−1). The widest useful choice is picked: the largest
 * k whose coverage is still ≥ 95 %; below 6 repetitions no k reaches 95 %, so the interval is the
 * min–max range and its coverage is 1 − 2·0.5ⁿ (93.75 % at n = 5, 75 % at n = 3). This is what a
 * percentile bootstrap of the median collapses to with so few values, labelled with what it covers.
 */
export function medianInterval(values: readonly number[]): MedianInterval {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { lo: NaN, hi: NaN, coverage: 0 };
  let k = 1;
  for (let j = 2; j <= Math.floor(n / 2); j++) if (1 - 2 * binomHalfCdf(n, j - 1) >= 0.95) k = j;
  return { lo: s[k - 1]!, hi: s[n - k]!, coverage: n < 2 ? 0 : 1 - 2 * binomHalfCdf(n, k - 1) };
}

/**
 * Exact one-sided 95 % upper bound of a failure rate when none of `n` trials failed (Clopper–Pearson
 * with 0 successes: 1 − 0.05^(1/n), ≈ 3/n, the "rule of three"): "0 of 50,000" means "below 0.006 %".
 */
export function zeroFailureUpperBound(n: number): number {
  return n > 0 ? 1 - 0.05 ** (1 / n) : 1;
}

/** 93.75 % → "93.75 %", 0.95 → "95 %": coverage printed without spurious digits. */
export function fmtCoverage(c: number): string {
  return `${Number((c * 100).toFixed(2))} %`;
}
