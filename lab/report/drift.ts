import { join } from 'node:path';
import { BEFORE } from '../engine/arms.js';
import { loadRunModel } from '../tools/triage/run-model.js';
import { batchOf, l7Of, type StoredRun } from './load.js';
import { batchesOf } from './provenance.js';
import { batchLabel } from './blocks/batch-label.js';
import { failures } from './summarize.js';
import { median } from './stats.js';

// Why `before`'s counts differ between batches, from the stored runs alone: the same parameters, and
// per deploy the time the ingress found no listening pod among those it was routed to (from the first
// new pod listed by the routing view to the deploy's last 502), which the 502 count follows.

/** How long after a rollout step its 502s are looked for: longer than any start-up seen here. */
const DEPLOY_SPAN_MS = 8000;
/** Two ratios "agree" when within this factor of each other. */
const AGREE = 1.35;

interface BatchDrift {
  label: string;
  params: string;
  failed: number[];
  http502: number[];
  /** per deploy: last 502 − first new pod listed (ms) */
  deadMs: number[];
  /** per new pod with evidence: start → listening (ms) */
  startToListenMs: number[];
  p99Steady: number[];
  first: string;
}

/** One run's dead spans per deploy and its new pods' start → listening times (where its evidence has them). */
export function deadSpans(runDir: string): { dead: number[]; listen: number[] } {
  const m = loadRunModel(runDir);
  if (!m) return { dead: [], listen: [] };
  const dead: number[] = [];
  for (const r0 of m.rollouts) {
    const listed = m.pods.filter((p) => p.viewFrom >= r0 && p.viewFrom < r0 + DEPLOY_SPAN_MS).map((p) => p.viewFrom);
    const last502 = m.records.filter((r) => r.class === 'http_502' && r.t_end >= r0 && r.t_end < r0 + DEPLOY_SPAN_MS).reduce((x, r) => Math.max(x, r.t_end), -Infinity);
    if (listed.length && last502 > -Infinity) dead.push(Math.max(0, last502 - Math.min(...listed)));
  }
  const starts = new Map(m.timeline.events.filter((e) => e.kind === 'pod-started').map((e) => [e.pod, e.t]));
  const listen = m.pods.filter((p) => Number.isFinite(p.listeningAt) && starts.has(p.pod)).map((p) => p.listeningAt - starts.get(p.pod)!);
  return { dead, listen };
}

export function driftSection(resultsDir: string, runs: readonly StoredRun[]): string {
  const before = runs.filter((r) => r.summary.arm === BEFORE.name && r.summary.target === 'local' && l7Of(r.summary) === 'ingress-nginx');
  const groups = new Map<string, StoredRun[]>();
  for (const r of before) groups.set(batchOf(r), [...(groups.get(batchOf(r)) ?? []), r]);
  const rows: BatchDrift[] = [...groups.values()].map((list) => {
    const spans = list.map((r) => deadSpans(join(resultsDir, r.dir)));
    const p = list[0]!.summary.params;
    return {
      label: batchLabel(batchesOf(list)[0]!), first: list[0]!.summary.date,
      params: `${p.rate} req/s, ${p.deploys} deploys, propagation ${p.propagationDelayMs} ms, ${p.paths.join('+')}`,
      failed: list.map((r) => failures(r.summary.windowCounts)), http502: list.map((r) => r.summary.windowCounts.http_502),
      deadMs: spans.flatMap((s) => s.dead), startToListenMs: spans.flatMap((s) => s.listen), p99Steady: list.map((r) => r.summary.p99SteadyMs),
    };
  }).sort((a, b) => a.first.localeCompare(b.first));
  const out = ['## Drift of `before` between batches', ''];
  if (rows.length < 2) return `${out.join('\n')}_Only one batch of \`before\` is stored._\n`;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const range = (xs: number[], f: (n: number) => string = String) => (xs.length ? `${f(median(xs))} [${f(Math.min(...xs))}–${f(Math.max(...xs))}]` : 'not recorded');
  out.push('Every stored batch of `before` on the local target through ingress-nginx, median [min–max] over its runs (or over its deploys / new pods where the column says so):', '');
  out.push('| batch | parameters | failed in window | 502 | per deploy: first new pod listed → last 502 | per new pod: start → listening (evidence) | p99 steady |', '|---|---|---|---|---|---|---|');
  for (const r of rows) out.push(`| ${r.label} | ${r.params} | ${range(r.failed)} | ${range(r.http502)} | ${range(r.deadMs, s)} | ${range(r.startToListenMs, s)} | ${range(r.p99Steady, (n) => `${n} ms`)} |`);
  // compare the earliest and the latest batch with repetitions (a single run says little about a batch)
  const repeated = rows.filter((r) => r.failed.length >= 3);
  const [a, b] = repeated.length >= 2 ? [repeated[0]!, repeated.at(-1)!] : [rows[0]!, rows.at(-1)!];
  const perPath = (r: BatchDrift) => Number(r.params.split(' ')[0]) / 2;
  const deploys = (r: BatchDrift) => Number(r.params.split(', ')[1]!.split(' ')[0]);
  const predicted = (r: BatchDrift) => Math.round(perPath(r) * deploys(r) * median(r.deadMs) / 1000);
  const ratio502 = median(b.http502) / Math.max(1, median(a.http502));
  const ratioDead = median(b.deadMs) / Math.max(1, median(a.deadMs));
  const sameParams = new Set(rows.map((r) => r.params)).size === 1;
  out.push('', `Compared: the ${a.failed.length}-run batch at ${a.label.split('commit ')[1]!.split(',')[0]} and the ${b.failed.length}-run batch at ${b.label.split('commit ')[1]!.split(',')[0]}. `
    + `The parameters of all batches are ${sameParams ? 'the same' : '**not** the same (see the column)'}; the median 502 count changed ×${ratio502.toFixed(2)} and the median time from the first new pod listed to the deploy's last 502 ×${ratioDead.toFixed(2)}; `
    + `the ingress rate × the deploys × that median time gives ${predicted(a)} and ${predicted(b)} 502s per run against the measured medians ${median(a.http502)} and ${median(b.http502)}. `
    + 'The ingress retries a refused connect on up to 3 endpoints, so a request fails only while every listed pod refuses: the 502s last until the first new pod listens, and their count is the ingress rate × that time (the prediction above reproduces it run by run). '
    + (Math.abs(Math.log(ratio502 / ratioDead)) < Math.log(AGREE)
      ? `The two ratios agree within a factor ${AGREE}: the drift is in how long new pods took from start to listening in each batch, not in routing, parameters or counting. `
      : `**The two ratios disagree** (by more than a factor ${AGREE}): the time new pods take to listen does not account for the drift; a finding to investigate. `)
    + 'Why new pods listened later, the stored runs cannot settle: the older batches recorded neither the machine\'s load nor the pods\' listening times (the column says "not recorded"); the p99 of the steady phase, a proxy for CPU contention, is in the last column. '
    + 'history.csv keeps one line per headline batch so the next drift shows itself.');
  return `${out.join('\n')}\n`;
}
