import { CLASSES, emptyCounts, type ClassCounts } from '../../loadtest/classes.js';
import { countsForLatency, latencyMs, type RequestRecord } from '../../loadtest/records.js';
import type { JobAudit, RunMeta, RunSummary, TimelineEvent } from '../engine/schema.js';
import { median, percentile } from './stats.js';

export interface ReadySample {
  t: number;
  ready: Record<string, number>;
}

export interface Interval {
  start: number;
  end: number;
}

export interface SummaryInput extends RunMeta {
  records: readonly RequestRecord[];
  dropped: number;
  events: readonly TimelineEvent[];
  baseline: Interval;
  window: Interval;
  deployDurationsMs: number[];
  readySamples: readonly ReadySample[];
  /** the Deployment whose ready count is the capacity that matters to clients */
  servingDeployment: string;
  jobs: JobAudit;
}

export function countClasses(records: Iterable<RequestRecord>): ClassCounts {
  const c = emptyCounts();
  for (const r of records) c[r.class]++;
  return c;
}

export function failures(c: ClassCounts): number {
  return CLASSES.reduce((s, k) => (k === 'ok' ? s : s + c[k]), 0);
}

const inside = (t: number, i: Interval) => t >= i.start && t <= i.end;
/** The request's life (scheduled → ended) overlaps the interval. */
const overlaps = (r: RequestRecord, i: Interval) => r.t_sched <= i.end && r.t_end >= i.start;

/**
 * Builds the RunSummary of lab/engine/schema.ts. The baseline holds the requests scheduled in it; the deploy
 * window holds every request alive at some moment of it, so a /slow request sent just before the
 * first rollout event and reset by it counts as a deploy failure, not as nothing.
 */
export function summarize(x: SummaryInput): RunSummary {
  const inWindow = x.records.filter((r) => overlaps(r, x.window));
  const inBaseline = x.records.filter((r) => inside(r.t_sched, x.baseline));
  const windowCounts = countClasses(inWindow);
  const windowTotal = inWindow.length;
  const readyInWindow = x.readySamples.filter((s) => inside(s.t, x.window)).map((s) => s.ready[x.servingDeployment] ?? 0);
  return {
    arm: x.arm,
    levers: x.levers,
    target: x.target,
    rep: x.rep,
    command: x.command,
    commit: x.commit,
    date: x.date,
    params: x.params,
    notes: x.notes,
    requests: x.records.length,
    droppedIterations: x.dropped,
    window: x.window,
    windowCounts,
    totalCounts: countClasses(x.records),
    windowErrorRate: windowTotal ? failures(windowCounts) / windowTotal : 0,
    p99SteadyMs: Math.round(percentile(inBaseline.filter(countsForLatency).map(latencyMs), 99)),
    p99RollMs: Math.round(percentile(inWindow.filter(countsForLatency).map(latencyMs), 99)),
    deployDurationMs: Math.round(median(x.deployDurationsMs)),
    minReadyPods: readyInWindow.length ? Math.min(...readyInWindow) : 0,
    sigkills: x.events.filter((e) => e.kind === 'sigkill').length,
    jobs: x.jobs,
  };
}
