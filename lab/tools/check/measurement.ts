import type { RequestRecord } from '../../../loadtest/records.js';
import type { RunTimeline } from '../../engine/artifacts.js';
import type { Coverage } from '../../engine/coverage.js';
import type { JobAudit, RunMeta, RunSummary } from '../../engine/schema.js';
import type { KeepAliveRaces } from '../../targets/local/keepalive-race.js';
import type { Interval } from '../../report/summarize.js';
import { summarize } from '../../report/summarize.js';
import { median } from '../../report/stats.js';

// What either mode of `check` measured, before it becomes the lab's RunSummary: the same record,
// timeline and window shapes the lab's own runs use, so the table and chart code is shared.

export interface Measurement {
  target: 'local' | 'kind';
  deployment: string;
  service: string;
  records: RequestRecord[];
  dropped: number;
  sent: number;
  timeline: RunTimeline;
  window: Interval;
  baseline: Interval;
  deployDurationsMs: number[];
  /** the readySamples key whose minimum during the window is "min ready pods" */
  servingSeries: string;
  notes: string[];
  paths: string[];
  propagationDelayMs: number | null;
  isolation?: string;
  /** local mode: 'netns' (a network namespace per pod) or 'loopback' (a 127.x.y.z per pod) */
  podNetwork?: string;
  /** cluster mode: measured per pod (ms from deletion to the EndpointSlice dropping it) */
  deregistrationMs?: number[];
  /** cluster mode: the summary converted from k6's aggregates and request lines */
  summary?: RunSummary;
  /** whether the records cover what was sent: a verdict may pass only when complete */
  coverage: Coverage;
  /** local mode with an Ingress: the proxy's failed tries that were the keep-alive race (keepalive-race.ts) */
  keepAliveRaces?: KeepAliveRaces;
}

/** `check` has no job ledger: the audit block of the schema is all zeros, and says so in a note. */
const NO_JOBS: JobAudit = { accepted: 0, applied: 0, lost: 0, duplicated: 0, unacknowledged: 0, balanceMismatches: 0 };

/** Per pod of the Deployment: ms from pod-terminating to the routing view (local) dropping it. */
export function deregistrationDelays(m: Measurement): number[] {
  if (m.deregistrationMs) return m.deregistrationMs;
  const terminating = new Map<string, number>();
  const out: number[] = [];
  for (const e of m.timeline.events) {
    if (e.kind === 'pod-terminating' && e.pod && e.deployment === m.deployment) terminating.set(e.pod, e.t);
    if (e.kind === 'view-removed' && e.pod && terminating.has(e.pod)) { out.push(e.t - terminating.get(e.pod)!); terminating.delete(e.pod); }
  }
  return out;
}

export function buildSummary(m: Measurement, meta: Omit<RunMeta, 'target' | 'notes'>): RunSummary {
  const dereg = deregistrationDelays(m);
  const notes = [...m.notes, 'check has no job ledger: the jobs columns do not apply (all 0)'];
  // cluster mode: what the k6 conversion measured (the clock offset) stays beside the invocation's own
  const params = {
    ...m.summary?.params, ...meta.params, deregistrationMedianMs: dereg.length ? Math.round(median(dereg)) : null, deregistrationSamples: dereg.length,
    ...(m.keepAliveRaces ? { keepAliveRaces: m.keepAliveRaces } : {}),
  };
  if (m.summary) return { ...m.summary, ...meta, target: m.target, notes, params, coverage: m.coverage };
  const summary = summarize({
    ...meta,
    target: m.target,
    notes,
    params,
    records: m.records,
    dropped: m.dropped,
    events: m.timeline.events,
    baseline: m.baseline,
    window: m.window,
    deployDurationsMs: m.deployDurationsMs,
    readySamples: m.timeline.readySamples,
    ...(m.timeline.servingSamples ? { servingSamples: m.timeline.servingSamples } : {}),
    servingDeployment: m.servingSeries,
    jobs: NO_JOBS,
  });
  return { ...summary, coverage: m.coverage };
}
