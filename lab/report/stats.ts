// Order statistics used by the summaries and tables. Nearest-rank percentiles (as k6 and most
// load tools report them), so a p99 is always a latency that was actually observed.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Median of an odd count is the middle value; of an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0, n: 0 };
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** Largest relative deviation of any repetition from the median, e.g. 0.12 for ±12 %. */
export function relativeSpread(s: Spread): number {
  if (s.n < 2 || s.median === 0) return s.max === s.min ? 0 : Infinity;
  return Math.max(s.max - s.median, s.median - s.min) / s.median;
}
