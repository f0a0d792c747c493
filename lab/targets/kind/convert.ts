import { LabError } from '../../../common/errors.js';
import { CLASSES, emptyCounts, type ClassCounts, type ErrorClass } from '../../../loadtest/classes.js';
import type { RequestRecord } from '../../../loadtest/records.js';
import { k6Coverage } from '../../engine/coverage.js';
import type { JobAudit, RunMeta, RunSummary, TimelineEvent } from '../../engine/schema.js';
import { measureRequests } from '../../report/summarize.js';
import { K6_CLIENT } from '../../report/client-counts.js';
import type { Interval } from '../../report/stats.js';
import type { ContainerExit } from './executor.js';
import type { K6Start } from './k6-start.js';

// k6 handleSummary data (https://grafana.com/docs/k6/latest/results-output/end-of-test/custom-summary/,
// "Summary data reference") and the k6 log's request lines → the RunSummary the local target writes.
// Per-class counts of the summary come from the lab_requests{class,phase,path} sub-metrics the script
// forces into it; they check the request lines.

export interface K6Metric {
  type: string;
  contains?: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}
export interface K6Summary {
  metrics: Record<string, K6Metric>;
  state?: { testRunDurationMs?: number };
}

export const PHASES = ['warmup', 'baseline', 'deploy', 'cooldown'] as const;

/** `lab_requests{class:ok,phase:deploy,path:l4}` → { name, tags }; tag order does not matter. */
export function parseMetricKey(key: string): { name: string; tags: Record<string, string> } {
  const i = key.indexOf('{');
  if (i < 0 || !key.endsWith('}')) return { name: key, tags: {} };
  const tags: Record<string, string> = {};
  for (const part of key.slice(i + 1, -1).split(',')) {
    const j = part.indexOf(':');
    if (j > 0) tags[part.slice(0, j).trim()] = part.slice(j + 1).trim();
  }
  return { name: key.slice(0, i), tags };
}

export function parseK6Summary(text: string | null): K6Summary {
  if (text === null) throw new LabError('LAB_K6_SUMMARY', 'the k6 pod log has no LAB_K6_SUMMARY_BEGIN … LAB_K6_SUMMARY_END block (did k6 finish?)');
  let data: any;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new LabError('LAB_K6_SUMMARY', `the summary block is not JSON: ${(e as Error).message}`);
  }
  if (!data || typeof data.metrics !== 'object' || data.metrics === null) throw new LabError('LAB_K6_SUMMARY', 'the summary has no "metrics" object');
  if (!data.metrics.lab_requests) throw new LabError('LAB_K6_SUMMARY', 'the summary has no lab_requests metric: not the lab script, or no request was made');
  return data as K6Summary;
}

export interface K6Counts {
  /** per phase, all paths together */
  byPhase: Record<(typeof PHASES)[number], ClassCounts>;
  total: ClassCounts;
  requests: number;
  /** requests the parent metric counted that no class sub-metric holds (put into `other`) */
  unaccounted: number;
}

export function k6Counts(s: K6Summary): K6Counts {
  const byPhase = Object.fromEntries(PHASES.map((p) => [p, emptyCounts()])) as K6Counts['byPhase'];
  const total = emptyCounts();
  for (const [key, m] of Object.entries(s.metrics)) {
    const { name, tags } = parseMetricKey(key);
    if (name !== 'lab_requests' || !tags.class || !tags.phase || !tags.path) continue;
    const cls = tags.class as ErrorClass;
    const phase = tags.phase as (typeof PHASES)[number];
    if (!CLASSES.includes(cls) || !PHASES.includes(phase)) throw new LabError('LAB_K6_SUMMARY', `unknown class or phase in ${key}`);
    const n = m.values.count ?? 0;
    byPhase[phase][cls] += n;
    total[cls] += n;
  }
  const requests = s.metrics.lab_requests!.values.count ?? 0;
  const summed = CLASSES.reduce((a, c) => a + total[c], 0);
  const unaccounted = requests - summed;
  if (unaccounted < 0) throw new LabError('LAB_K6_SUMMARY', `class sub-metrics add up to ${summed}, more than the ${requests} requests counted`);
  // Nothing is dropped: a request no class sub-metric holds is still a request, counted as other.
  total.other += unaccounted;
  return { byPhase, total, requests, unaccounted };
}

export interface ConvertInput extends Omit<RunMeta, 'target'> {
  summary: K6Summary;
  /** every request, from the k6 log's LAB_REQ lines (lab/targets/kind/requests.ts) */
  records: readonly RequestRecord[];
  /** the k6 baseline phase */
  baseline: Interval;
  /** the measured deploy window (lab/report/stats.ts deployWindow), not the k6 deploy phase */
  window: Interval;
  deployDurationsMs: number[];
  minReadyPods: number;
  sigkills: number;
  jobs: JobAudit;
  events?: TimelineEvent[];
  /** what the records are checked against: k6's start line, its container's exit, the log's bad lines */
  k6: {
    start: K6Start;
    exit: ContainerExit | null;
    malformed: number;
    firstMalformed?: string | undefined;
    /** LAB_JOB lines the log holds (the lab's own runs; check has no ledger) */
    jobLines?: { logged: number; malformed: number };
  };
}

/**
 * k6's run → RunSummary, with the request columns computed from the request records by the same
 * code as the local target (measureRequests); the k6 summary supplies dropped iterations and
 * thresholds, and its class counts check that the log held every request.
 */
export function toRunSummary(x: ConvertInput): RunSummary {
  const c = k6Counts(x.summary);
  const notes = [...x.notes];
  if (c.unaccounted > 0) notes.push(`${c.unaccounted} k6 requests carried no class sub-metric; counted as other`);
  let thresholdsCrossed = false;
  for (const [key, m] of Object.entries(x.summary.metrics)) {
    for (const [expr, r] of Object.entries(m.thresholds ?? {})) if (!r.ok) { thresholdsCrossed = true; notes.push(`k6 threshold crossed: ${key} ${expr}`); }
  }
  const dropped = x.summary.metrics.dropped_iterations?.values.count ?? 0;
  const coverage = k6Coverage({
    recorded: x.records.length, malformed: x.k6.malformed, firstMalformed: x.k6.firstMalformed, counted: c.requests, dropped,
    planned: x.k6.start.planned, rate: x.k6.start.perPath * x.k6.start.paths.length,
    exitCode: x.k6.exit?.exitCode ?? null, exitReason: x.k6.exit?.reason, thresholdsCrossed,
    jobs: x.k6.jobLines && { ...x.k6.jobLines, counted: x.summary.metrics.lab_jobs_accepted?.values.count ?? 0 },
  });
  for (const r of coverage.reasons) notes.push(`partial data: ${r}`);
  return {
    arm: x.arm,
    levers: x.levers,
    target: 'kind',
    rep: x.rep,
    command: x.command,
    commit: x.commit,
    date: x.date,
    params: x.params,
    notes,
    ...measureRequests({
      records: x.records, dropped,
      baseline: x.baseline, window: x.window, deployDurationsMs: x.deployDurationsMs,
    }),
    minReadyPods: x.minReadyPods,
    sigkills: x.sigkills,
    jobs: x.jobs,
    coverage,
    // k6 counts as Go's Transport lets it see: after its resends, which it cannot count
    client: K6_CLIENT,
  };
}
