import { CLASSES, emptyCounts, type ClassCounts } from '../../loadtest/classes.js';
import { countsForLatency, latencyMs, type RequestRecord } from '../../loadtest/records.js';
import type { JobAudit, ReadySample, RunMeta, RunSummary, TimelineEvent } from '../engine/schema.js';
import type { ServingSample } from '../engine/serving-probe.js';
import { extent, inBaseline, inWindow, median, percentile, type Interval } from './stats.js';

export type { Interval } from './stats.js';

export type { ReadySample } from '../engine/schema.js';

/** The request columns of a RunSummary: what both targets compute the same way from their request records. */
export type RequestMeasures = Pick<RunSummary, 'requests' | 'droppedIterations' | 'window' | 'windowCounts' | 'totalCounts' | 'windowErrorRate' | 'p99SteadyMs' | 'p99RollMs' | 'deployDurationMs'>;

export interface MeasureInput {
  records: readonly RequestRecord[];
  dropped: number;
  baseline: Interval;
  /** the deploy window of lab/report/stats.ts deployWindow */
  window: Interval;
  deployDurationsMs: number[];
}

export interface SummaryInput extends RunMeta, MeasureInput {
  events: readonly TimelineEvent[];
  readySamples: readonly ReadySample[];
  servingSamples?: readonly ServingSample[];
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

/**
 * The request columns, used by both targets' converters (local: summarize below; kind:
 * lab/targets/kind/convert.ts). The baseline holds the requests scheduled in it; the deploy window
 * every request alive at some moment of it, so a /slow request sent just before the first rollout
 * event and reset by it counts as a deploy failure, not as nothing.
 */
export function measureRequests(x: MeasureInput): RequestMeasures {
  const windowed = x.records.filter((r) => inWindow(r, x.window));
  const windowCounts = countClasses(windowed);
  const p99 = (rs: RequestRecord[]) => Math.round(percentile(rs.filter(countsForLatency).map(latencyMs), 99));
  return {
    requests: x.records.length,
    droppedIterations: x.dropped,
    window: x.window,
    windowCounts,
    totalCounts: countClasses(x.records),
    windowErrorRate: windowed.length ? failures(windowCounts) / windowed.length : 0,
    p99SteadyMs: p99(x.records.filter((r) => inBaseline(r, x.baseline))),
    p99RollMs: p99(windowed),
    deployDurationMs: Math.round(median(x.deployDurationsMs)),
  };
}

/** Builds the local target's RunSummary (lab/engine/schema.ts). */
export function summarize(x: SummaryInput): RunSummary {
  const servingInWindow = (x.servingSamples ?? []).filter((s) => s.t >= x.window.start && s.t <= x.window.end).map((s) => s.serving[x.servingDeployment] ?? 0);
  const readyInWindow = x.readySamples.filter((s) => s.t >= x.window.start && s.t <= x.window.end).map((s) => s.ready[x.servingDeployment] ?? 0);
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
    ...measureRequests(x),
    minReadyPods: readyInWindow.length ? extent(readyInWindow).min : 0,
    ...(servingInWindow.length ? { minServingPods: extent(servingInWindow).min } : {}),
    sigkills: x.events.filter((e) => e.kind === 'sigkill').length,
    jobs: x.jobs,
  };
}
