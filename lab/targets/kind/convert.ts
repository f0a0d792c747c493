import { LabError } from '../../../common/errors.js';
import { CLASSES, emptyCounts, type ClassCounts, type ErrorClass } from '../../../loadtest/classes.js';
import type { JobAudit, RunMeta, RunSummary, TimelineEvent } from '../../engine/schema.js';

// k6 handleSummary data (https://grafana.com/docs/k6/latest/results-output/end-of-test/custom-summary/,
// "Summary data reference") → the RunSummary the local target writes. Per-class counts come from
// the lab_requests{class,phase,path} sub-metrics the script forces into the summary.

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

function p99(s: K6Summary, phase: string): number {
  return s.metrics[`lab_latency{phase:${phase}}`]?.values['p(99)'] ?? NaN;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface ConvertInput extends Omit<RunMeta, 'target'> {
  summary: K6Summary;
  window: { start: number; end: number };
  deployDurationsMs: number[];
  minReadyPods: number;
  sigkills: number;
  jobs: JobAudit;
  events?: TimelineEvent[];
}

export function toRunSummary(x: ConvertInput): RunSummary {
  const c = k6Counts(x.summary);
  const notes = [...x.notes];
  if (c.unaccounted > 0) notes.push(`${c.unaccounted} k6 requests carried no class sub-metric; counted as other`);
  for (const [key, m] of Object.entries(x.summary.metrics)) {
    for (const [expr, r] of Object.entries(m.thresholds ?? {})) if (!r.ok) notes.push(`k6 threshold crossed: ${key} ${expr}`);
  }
  const windowCounts = c.byPhase.deploy;
  const inWindow = CLASSES.reduce((a, k) => a + windowCounts[k], 0);
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
    requests: c.requests,
    droppedIterations: x.summary.metrics.dropped_iterations?.values.count ?? 0,
    window: x.window,
    windowCounts,
    totalCounts: c.total,
    windowErrorRate: inWindow === 0 ? 0 : (inWindow - windowCounts.ok) / inWindow,
    p99SteadyMs: p99(x.summary, 'baseline'),
    p99RollMs: p99(x.summary, 'deploy'),
    deployDurationMs: median(x.deployDurationsMs),
    minReadyPods: x.minReadyPods,
    sigkills: x.sigkills,
    jobs: x.jobs,
  };
}
