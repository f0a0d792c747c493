import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../../common/errors.js';
import type { RequestRecord } from '../../../loadtest/records.js';
import { K6_T0_MARKER } from './constants.js';
import type { Executor } from './executor.js';

// The k6 script's first line, `LAB_K6_T0 <k6 clock ms> {plan}` (loadtest/k6/script.js setup()): when
// k6 started on its node's clock, what it planned, and, from when the lab saw the line appear, how
// far the k6 node's clock is from the lab's (docs/check.md, "Two clocks").

export interface K6Start {
  t0: number;
  rate: number;
  perPath: number;
  paths: string[];
  /** the k6 schedule's length (the script's TOTAL_S) */
  seconds: number;
  /** the arrivals k6 will schedule: perPath × paths × seconds */
  planned: number;
}

/** k6 clock minus lab clock: a record's k6 time − ms = the lab time. */
export interface ClockOffset { ms: number; uncertaintyMs: number; method: string }

export function parseK6Start(log: string): K6Start | null {
  const m = new RegExp(`${K6_T0_MARKER} (\\d+) (\\{.*\\})`).exec(log);
  if (!m) return null;
  let p: any;
  try { p = JSON.parse(m[2]!); } catch { return null; }
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : NaN);
  const seconds = Math.ceil(n(p.W) + n(p.B) + n(p.D) + n(p.C));
  const paths = Array.isArray(p.paths) ? p.paths.map(String) : [];
  const start = { t0: Number(m[1]), rate: n(p.rate), perPath: n(p.perPath), paths, seconds, planned: n(p.perPath) * paths.length * seconds };
  return Number.isFinite(start.planned) && start.planned > 0 ? start : null;
}

const POLL_MS = 200;

/**
 * Polls the k6 pod's log until the start line. The line was written after the previous poll was
 * sent (or, for the first poll, after the Job was created) and before the poll that found it
 * returned: the offset lies in that interval, reported as its midpoint ± half its width.
 */
export async function waitK6Start(exec: Executor, ns: string, pod: string, createdAt: number, timeoutMs: number): Promise<{ start: K6Start; offset: ClockOffset; log: string }> {
  if (exec.dryRun) {
    const log = await exec.waitLogLine(ns, pod, K6_T0_MARKER, timeoutMs);
    return { start: { t0: Date.now(), rate: 0, perPath: 0, paths: [], seconds: 0, planned: 0 }, offset: { ms: 0, uncertaintyMs: 0, method: 'dry run' }, log };
  }
  const deadline = Date.now() + timeoutMs;
  let notBefore = createdAt;
  for (let i = 0; i < 1_000_000; i++) {
    const sent = Date.now();
    const log = await exec.podLog(ns, pod).catch(() => '');
    const seen = Date.now();
    if (log.includes(K6_T0_MARKER)) {
      const start = parseK6Start(log);
      if (!start) throw new LabError('LAB_K6_SUMMARY', `the ${K6_T0_MARKER} line of the k6 log is not "<ms> {plan}": ${log.slice(log.indexOf(K6_T0_MARKER), log.indexOf(K6_T0_MARKER) + 200)}`);
      const lo = start.t0 - seen;
      const hi = start.t0 - notBefore;
      return { start, log, offset: { ms: Math.round((lo + hi) / 2), uncertaintyMs: Math.ceil((hi - lo) / 2), method: `k6's ${K6_T0_MARKER} clock reading against the lab-clock interval in which the line appeared in the pod log (polled every ${POLL_MS} ms)` } };
    }
    notBefore = sent;
    if (seen > deadline) throw new LabError('LAB_TIMEOUT', `"${K6_T0_MARKER}" in the log of ${ns}/${pod} not reached within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(POLL_MS);
  }
  throw new LabError('LAB_TIMEOUT', `"${K6_T0_MARKER}" in the log of ${ns}/${pod}: poll bound reached`);
}

/** Records on the k6 clock → the lab clock (the clock of the rollout window). */
export function toLabClock(records: RequestRecord[], offset: ClockOffset): RequestRecord[] {
  if (offset.ms === 0) return records;
  return records.map((r) => ({ ...r, t_sched: r.t_sched - offset.ms, t_start: r.t_start - offset.ms, t_end: r.t_end - offset.ms }));
}
