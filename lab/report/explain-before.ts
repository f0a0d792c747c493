import { join } from 'node:path';
import type { PodDeregistration } from '../engine/deregistration.js';
import { loadRunModel, type RunModel } from '../tools/triage/run-model.js';
import type { StoredRun } from './load.js';

// `before`'s headline counts predicted from the run's own evidence, so a count the mechanisms do not
// account for shows up as a finding instead of being taken on trust:
// - 502 (ingress): every moment at which each try of the ingress would meet a pod the routing view
//   lists but that does not accept (not yet listening, or already closed) × the ingress request rate.
//   The ingress tries up to 3 distinct endpoints on a refused connect (ingress-nginx's
//   proxy_next_upstream_tries, lab/targets/local/ingress.ts), so a request fails only when every
//   endpoint it tries is dead: P = C(dead, t)/C(routable, t), t = min(3, routable).
// - refused (L4): a request on a reused connection is not routed again; only new connections are,
//   each to one pod of the view: new-connection rate × dead/routable. The new-connection rate is the
//   run's own: new L4 connections the old pods received while they were still routed after leaving
//   the endpoints (summary.deregistration lateCount), per pod and second, × the replicas in the view.
// - reset: each SIGKILL cuts the requests open on the pod's connections at that moment; by Little's
//   law that is the pod's L4 request rate after it left the endpoints × the mean L4 request duration
//   of the run's baseline.

export const STEP_MS = 5;
/** A prediction explains a count when within ±30 % of it or ±10 requests, whichever is larger. */
export const TOLERANCE = { relative: 0.3, absolute: 10 } as const;
const INGRESS_TRIES = 3;

export interface Prediction { http_502: number; refused: number; reset: number }
export interface RunExplanation { run: string; rep: number; predicted: Prediction; measured: Prediction; inputs: { l4NewPerS: number; l4MeanMs: number; deadMsMax: number; killed: number } }

function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** New L4 connections per second the whole view received, from the old pods' late arrivals. */
function l4NewRate(pods: readonly PodDeregistration[], replicas: number): number {
  const rates = pods.filter((p) => p.routingStoppedAt && p.routingStoppedAt > p.leftAt)
    .map((p) => p.lateCount.l4.new / ((p.routingStoppedAt! - p.leftAt) / 1000));
  return rates.length ? (rates.reduce((a, b) => a + b, 0) / rates.length) * replicas : 0;
}

function meanL4Ms(m: RunModel): number {
  const b = m.timeline.phases.find((p) => p.name === 'baseline');
  const xs = m.records.filter((r) => r.path === 'l4' && r.class === 'ok' && b && r.t_sched >= b.start && r.t_sched <= b.end).map((r) => r.t_end - r.t_start);
  return xs.length ? xs.reduce((a, c) => a + c, 0) / xs.length : 0;
}

export function explainRun(resultsDir: string, run: StoredRun): RunExplanation | undefined {
  const m = loadRunModel(join(resultsDir, run.dir));
  const s = run.summary;
  if (!m || !m.hasEvidence || !s.deregistration?.pods?.length) return undefined;
  const perPath = s.params.rate / s.params.paths.length;
  const replicas = m.pods.filter((p) => p.viewFrom === -Infinity).length || 3;
  const l4New = l4NewRate(s.deregistration.pods, replicas);
  const start = m.rollouts[0] ?? Infinity;
  const end = m.records.reduce((x, r) => Math.max(x, r.t_end), 0);
  let p502 = 0;
  let refused = 0;
  let deadMs = 0;
  for (let t = start; t < end; t += STEP_MS) {
    const routable = m.pods.filter((p) => p.viewFrom <= t && p.viewTo > t);
    if (!routable.length) continue;
    const dead = routable.filter((p) => p.listeningAt > t || p.closedAt <= t).length;
    if (!dead) continue;
    deadMs += STEP_MS;
    const tries = Math.min(INGRESS_TRIES, routable.length);
    p502 += perPath * (STEP_MS / 1000) * (dead >= tries ? choose(dead, tries) / choose(routable.length, tries) : 0);
    refused += l4New * (STEP_MS / 1000) * (dead / routable.length);
  }
  const meanMs = meanL4Ms(m);
  let reset = 0;
  for (const p of s.deregistration.pods) {
    const kill = m.pods.find((x) => x.pod === p.pod)?.sigkillAt;
    if (kill === undefined || kill <= p.leftAt) continue;
    const n = p.lateCount.l4.new + p.lateCount.l4.reused;
    reset += (n / ((kill - p.leftAt) / 1000)) * (meanMs / 1000);
  }
  return {
    run: run.dir, rep: s.rep,
    predicted: { http_502: p502, refused, reset },
    measured: { http_502: s.windowCounts.http_502, refused: s.windowCounts.refused, reset: s.windowCounts.reset },
    inputs: { l4NewPerS: l4New, l4MeanMs: meanMs, deadMsMax: deadMs, killed: m.sigkills.length },
  };
}

export const explained = (pred: number, meas: number): boolean => Math.abs(pred - meas) <= Math.max(TOLERANCE.relative * meas, TOLERANCE.absolute);

const KEYS: Array<[keyof Prediction, string]> = [['http_502', '502'], ['refused', 'refused'], ['reset', 'reset']];

/** The write-up's section: per run and in total, predicted beside measured, and the findings. */
export function explainSection(resultsDir: string, runs: readonly StoredRun[], link: (p: string) => string): string {
  const xs = runs.map((r) => explainRun(resultsDir, r)).filter((x): x is RunExplanation => !!x);
  const out = ['## Where `before`\'s failures come from: predicted from its own evidence beside measured', ''];
  if (!xs.length) return `${out.join('\n')}_The stored \`before\` runs predate the evidence files (evidence.json, deregistration per pod): nothing to predict from._\n`;
  out.push('Predicted from each run\'s evidence alone (lab/report/explain-before.ts): **502** = ingress request rate × the time every endpoint an ingress request tries (up to 3) is listed by the routing view but not accepting (a new pod not yet listening, or an old one already closed); '
    + '**refused** = the run\'s new-L4-connection rate × the share of listed pods not accepting; **reset** = per SIGKILL, the pod\'s L4 request rate after it left the endpoints × the mean L4 request duration of the baseline (the requests open at the kill). '
    + `Counts are the deploy window's. A count is explained when the prediction is within ±${TOLERANCE.relative * 100} % or ±${TOLERANCE.absolute} requests of it, whichever is larger.`, '');
  out.push('| run | 502 predicted / measured | refused predicted / measured | reset predicted / measured | time with a dead pod listed | new L4 connections/s | mean L4 request |', '|---|---|---|---|---|---|---|');
  const cell = (p: number, m: number) => `${Math.round(p)} / ${m}${explained(p, m) ? '' : ' **✗**'}`;
  for (const x of xs) {
    out.push(`| [rep ${x.rep}](${link(`${x.run}/evidence.md`)}) | ${KEYS.map(([k]) => cell(x.predicted[k], x.measured[k])).join(' | ')} | ${(x.inputs.deadMsMax / 1000).toFixed(2)} s | ${x.inputs.l4NewPerS.toFixed(1)} | ${x.inputs.l4MeanMs.toFixed(0)} ms |`);
  }
  const tot = (f: (x: RunExplanation) => number) => xs.reduce((a, x) => a + f(x), 0);
  out.push(`| **all ${xs.length} runs** | ${KEYS.map(([k]) => cell(tot((x) => x.predicted[k]), tot((x) => x.measured[k]))).join(' | ')} | | | |`, '');
  const findings = KEYS.filter(([k]) => !explained(tot((x) => x.predicted[k]), tot((x) => x.measured[k])));
  const perRun = xs.flatMap((x) => KEYS.filter(([k]) => !explained(x.predicted[k], x.measured[k])).map(([, l]) => `rep ${x.rep} ${l}`));
  out.push(findings.length
    ? `**Findings to investigate** (✗): over all runs, ${findings.map(([k, l]) => `${l} (predicted ${Math.round(tot((x) => x.predicted[k]))}, measured ${tot((x) => x.measured[k])})`).join('; ')} is not explained by the mechanisms above within the tolerance.`
    : 'Over all runs every count is explained within the tolerance.');
  if (perRun.length) out.push('', `Single runs outside the tolerance: ${perRun.join(', ')}.`);
  return `${out.join('\n')}\n`;
}
