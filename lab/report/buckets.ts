import { CLASSES, emptyCounts, type ClassCounts } from '../../loadtest/classes.js';
import { countsForLatency, latencyMs, type RequestRecord } from '../../loadtest/records.js';
import { percentile } from './stats.js';

export interface SecondBucket {
  /** seconds since t0 */
  s: number;
  requests: number;
  counts: ClassCounts;
  p99Ms: number;
}

/** Per-second buckets by scheduled time (the moment the user wanted the request to happen). */
export function perSecond(records: readonly RequestRecord[], t0: number, seconds: number): SecondBucket[] {
  const n = Math.max(0, Math.ceil(seconds));
  const buckets: SecondBucket[] = Array.from({ length: n }, (_, s) => ({ s, requests: 0, counts: emptyCounts(), p99Ms: 0 }));
  const lat: number[][] = Array.from({ length: n }, () => []);
  for (const r of records) {
    const i = Math.floor((r.t_sched - t0) / 1000);
    if (i < 0 || i >= n) continue;
    const b = buckets[i]!;
    b.requests++;
    b.counts[r.class]++;
    if (countsForLatency(r)) lat[i]!.push(latencyMs(r));
  }
  buckets.forEach((b, i) => { b.p99Ms = percentile(lat[i]!, 99); });
  return buckets;
}

export const ERROR_CLASSES = CLASSES.filter((c) => c !== 'ok');
