import { emptyCounts, type ClassCounts } from '../../../loadtest/classes.js';
import { latencyMs, type RequestRecord } from '../../../loadtest/records.js';
import { percentile, spread, type Spread } from '../../report/stats.js';
import type { Interval, MethodRun } from './arm.js';

// The numbers of one method's run: errors by class and p99 inside the change windows against the
// steady baseline, time until the new config was in effect, persistent connections dropped.

export interface MethodStats {
  method: string;
  requests: number;
  dropped: number;
  changes: number;
  changeWindowMs: number;
  windowRequests: number;
  windowCounts: ClassCounts;
  windowErrors: number;
  totalCounts: ClassCounts;
  p99SteadyMs: number;
  p99ChangeMs: number;
  /** p99 during the change / p99 steady − 1 (0.1 = 10 % worse) */
  p99ChangeVsSteady: number;
  p99FastSteadyMs: number;
  p99FastChangeMs: number;
  /** /fast p99 in each change window, in order */
  p99FastPerChangeMs: number[];
  inEffectMs: Spread;
  inEffectAllMs: number[];
  connsOpenedSteadyPerS: number;
  connsOpenedDuringChange: number;
  connsClosedDuringChange: number;
  connsClosedByServerDuringChange: number;
  sighupFallbacks: number;
}

const inAny = (t: number, ws: readonly Interval[]) => ws.some((w) => t >= w.start && t < w.end);
const p99 = (rs: readonly RequestRecord[]) => Math.round(percentile(rs.map(latencyMs), 99) * 10) / 10;

export function methodStats(run: MethodRun): MethodStats {
  const windows = run.changes;
  const steady = run.records.filter((r) => r.t_sched >= run.baseline.start && r.t_sched < run.baseline.end);
  const during = run.records.filter((r) => inAny(r.t_sched, windows));
  const windowCounts = emptyCounts();
  for (const r of during) windowCounts[r.class]++;
  const totalCounts = emptyCounts();
  for (const r of run.records) totalCounts[r.class]++;
  const fast = (rs: RequestRecord[]) => rs.filter((r) => r.route === 'fast');
  const steadyP99 = p99(steady);
  const changeP99 = p99(during);
  const opensSteady = run.conns.filter((e) => e.kind === 'open' && e.t >= run.baseline.start && e.t < run.baseline.end).length;
  const duringConns = run.conns.filter((e) => inAny(e.t, windows));
  return {
    method: run.method,
    requests: run.records.length,
    dropped: run.dropped,
    changes: windows.length,
    changeWindowMs: windows.reduce((a, w) => a + (w.end - w.start), 0),
    windowRequests: during.length,
    windowCounts,
    windowErrors: during.length - windowCounts.ok,
    totalCounts,
    p99SteadyMs: steadyP99,
    p99ChangeMs: changeP99,
    p99ChangeVsSteady: steadyP99 > 0 ? Math.round((changeP99 / steadyP99 - 1) * 1000) / 1000 : 0,
    p99FastSteadyMs: p99(fast(steady)),
    p99FastChangeMs: p99(fast(during)),
    p99FastPerChangeMs: windows.map((w) => p99(fast(run.records.filter((r) => r.t_sched >= w.start && r.t_sched < w.end)))),
    inEffectMs: spread(windows.map((w) => w.inEffectMs)),
    inEffectAllMs: windows.map((w) => w.inEffectMs),
    connsOpenedSteadyPerS: Math.round((opensSteady / Math.max(1, (run.baseline.end - run.baseline.start) / 1000)) * 100) / 100,
    connsOpenedDuringChange: duringConns.filter((e) => e.kind === 'open').length,
    connsClosedDuringChange: duringConns.filter((e) => e.kind === 'close').length,
    connsClosedByServerDuringChange: duringConns.filter((e) => e.kind === 'close' && e.byServer).length,
    sighupFallbacks: windows.filter((w) => w.sighupFallback).length,
  };
}
