import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BlockContext } from '../doc-blocks.js';
import { zeroBound } from '../headline.js';
import { markdownTable, verdictLines, type RouteRetrySummary } from '../../experiments/route-retry/report.js';
import { clientFindings, type ClientsSummary } from '../../experiments/clients/report.js';
import { idleCloseVerdict, type IdleCloseSummary } from '../../experiments/idle-close/report.js';
import { rateText, type KeepAliveSummary } from '../../experiments/keepalive/summary.js';
import { WINDOWS, type L4Row } from '../../experiments/keepalive/count.js';

// Generated lines for the docs from the other experiments' stored summaries (results/<experiment>/…):
// every figure with the run it comes from (commit, date, load average at its start).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function summaries(resultsDir: string, experiment: string): Array<{ dir: string; s: Json }> {
  const root = join(resultsDir, experiment);
  if (!existsSync(root)) return [];
  return readdirSync(root).sort().filter((d) => existsSync(join(root, d, 'summary.json')))
    .map((d) => ({ dir: d, s: JSON.parse(readFileSync(join(root, d, 'summary.json'), 'utf8')) as Json }));
}

const load = (xs: number[] | undefined) => (xs?.length ? `load average ${xs[0]!.toFixed(2)} at its start` : 'load not recorded');
const runOf = (s: Json) => `${String(s.date).slice(0, 16).replace('T', ' ')} UTC, commit ${String(s.commit).slice(0, 7)}, ${load(s.loadavgBefore)}${s.cores ? ` on ${s.cores} cores` : ''}`;
const n = (x: number) => x.toLocaleString('en-US');
const sum = (o: Record<string, number> | undefined) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

/** The runbook's jitter sizing, per stored reconnect variant: the formula's inputs and what each arm measured. */
export function reconnectSizing(ctx: BlockContext): string {
  const runs = summaries(ctx.resultsDir, 'reconnect');
  if (!runs.length) return '_No stored reconnect run: `make reconnect`._';
  return runs.map(({ dir, s }) => {
    const p = s.parameters;
    const w = p.jitterWindow;
    const [a, b] = s.arms as [Json, Json];
    const all = (x: Json) => (x.timeToReestablishAllMs != null ? `${n(x.timeToReestablishAllMs)} ms` : 'not all');
    return `- [\`${dir}\`](${ctx.link(`reconnect/${dir}/README.md`)}) (${n(p.clients)} ${p.variant.toUpperCase()} clients, ${w.perPod} per pod; ${runOf(s)}): `
      + `accept rate ${w.acceptPerS}/s → window ${w.perPod} / (${w.share} × ${w.acceptPerS}/s)${w.clampedTo != null ? `, clamped to ${n(w.clampedTo)} ms by the drain budget` : ` = ${n(w.ms)} ms`}. `
      + `Synchronized vs jittered: reconnect-attempt peak ${n(a.peakAttemptsPerS)}/s vs ${n(b.peakAttemptsPerS)}/s; p99 during the reconnects ${n(a.p99ReconnectMs)} ms vs ${n(b.p99ReconnectMs)} ms (steady ${a.p99SteadyMs} / ${b.p99SteadyMs} ms); `
      + `${a.rolloutErrorCount} vs ${b.rolloutErrorCount} failed requests, ${sum(a.connectFailures)} vs ${sum(b.connectFailures)} connect failures; every connection re-established after ${all(a)} vs ${all(b)}.`;
  }).join('\n');
}

/** The runbook's long-lived paragraph: per stored run, before → after of what streams and uploads lost. */
export function longLivedMeasured(ctx: BlockContext): string {
  const runs = summaries(ctx.resultsDir, 'long-lived');
  if (!runs.length) return '_No stored long-lived run: `make long-lived`._';
  return runs.map(({ dir, s }) => {
    const p = s.parameters;
    const arm = (name: string) => (s.arms as Json[]).find((x) => x.arm === name);
    const parts = ['before', 'after'].map(arm).filter(Boolean) as Json[];
    const pair = (f: (x: Json) => string | number) => parts.map(f).join(' → ');
    const head = `- [\`${dir}\`](${ctx.link(`long-lived/${dir}/table.md`)}) (\`${s.command}\`, D = ${p.deregistrationS} s, ${p.deploys} deploys, ${p.sseClients} SSE + ${p.wsClients} WS clients, arms ${parts.map((x) => x.arm).join(' → ')}; ${runOf(s)}): `;
    return head + [
      `SSE events lost ${pair((x) => n(x.sse.lost))} (clients with a loss ${pair((x) => x.sse.clientsWithLoss)}; EventSources recreated without Last-Event-ID ${pair((x) => x.sse.freshRestarts)})`,
      `duplicated ${pair((x) => x.sse.duplicated + x.ws.duplicated)}`,
      `events delivered ${pair((x) => n(x.sse.delivered + x.ws.delivered))}`,
      `streams cut ${pair((x) => `${x.sse.cut} SSE + ${x.ws.cut} WS`)}`,
      `closed with the reconnect signal ${pair((x) => `${x.sse.closedClean} + ${x.ws.closedClean}`)}`,
      `reconnect gap p99 ${pair((x) => `${(x.sse.gapP99Ms / 1000).toFixed(1)} s`)} (SSE)`,
      `uploads cut mid-body ${pair((x) => `${x.uploads.cutMidBody} of ${x.uploads.started}`)}`,
      `SIGKILLs ${pair((x) => x.sigkills)}`,
    ].join('; ') + '.';
  }).join('\n');
}

/** README's line on the check examples: each stored check run's failures with its parameters. */
export function checkExamples(ctx: BlockContext): string {
  const runs = summaries(ctx.resultsDir, 'check');
  if (!runs.length) return '_No stored check example: `make check-examples`._';
  const lines = runs.map(({ dir, s }) => {
    const w = s.windowCounts as Record<string, number>;
    const failed = sum(w) - (w.ok ?? 0);
    const kinds = Object.entries(w).filter(([k, v]) => k !== 'ok' && v > 0).map(([k, v]) => `${v} × ${k.replace('http_', '')}`).join(', ');
    const total = sum(w);
    const bound = failed === 0 ? ` (${zeroBound(total)})` : '';
    return `- [\`${dir}\`](${ctx.link(`check/${dir}/table.md`)}): ${n(failed)} of ${n(total)} requests in the deploy window failed${kinds ? ` (${kinds})` : bound}, ${s.sigkills} SIGKILLs, `
      + `${s.params.deploys} rollouts at ${s.params.rate} req/s, pod network ${s.params.podNetwork ?? 'loopback'}; one run, ${runOf({ ...s, loadavgBefore: s.params.machine?.loadavgBefore, cores: s.params.machine?.cores })}`;
  });
  return `Stored runs of \`make check-examples\` (local target):\n\n${lines.join('\n')}`;
}

/** tune.md's account of the committed tune run: its parameters, load, what it measured and recommended. */
export function tuneRun(ctx: BlockContext): string {
  const file = join(ctx.resultsDir, 'tune', 'recommendation.json');
  if (!existsSync(file)) return '_No stored tune run: `make tune`._';
  const s = JSON.parse(readFileSync(file, 'utf8')) as Json;
  const delays = [s, s.secondPropagationDelay].filter(Boolean).map((x: Json) => `propagation ${x.propagationDelayMs} ms → deregistration delay p99 ${n(x.deregistrationDelayP99Ms)} ms → preStop ${x.preStopSeconds} s, grace ${x.terminationGracePeriodSeconds} s`);
  const sweeps = (s.sweeps as Json[]).map((w) => `at propagation ${w.propagationDelayMs} ms, preStop ${w.steps.map((x: Json) => `${x.preStopSeconds} s: ${x.failed} failed`).join(', ')}`);
  return `[results/tune/](${ctx.link('tune/recommendation.md')}) comes from one invocation: \`${s.command}\` (${runOf(s)}; load average ${s.loadavgAfter?.[0]?.toFixed(2) ?? '?'} at its end), `
    + `${s.params.rate} req/s with keep-alive, ${s.params.deploysPerRun} deploy per step. ${delays.join('; ')}. Sweep (failed requests per step, one run each): ${sweeps.join('; ')}.`;
}

/** docs/local-vs-kind.md's route-retry paragraph: the stored batch's table and claims, with its provenance. */
export function routeRetryMeasured(ctx: BlockContext): string {
  const file = join(ctx.resultsDir, 'route-retry', 'summary.json');
  if (!existsSync(file)) return '_No stored route-retry batch: `npm run lab -- route-retry`._';
  const s = JSON.parse(readFileSync(file, 'utf8')) as RouteRetrySummary;
  const m = s.params.machine;
  return [
    `From [route-retry/table.md](${ctx.link('route-retry/table.md')}) (\`${s.command}\`, ${s.params.rate} req/s through the L7 path, ${s.params.streams} SSE streams; `
      + `${s.date.slice(0, 16).replace('T', ' ')} UTC, commit ${s.commit.slice(0, 7)}, load average ${m.loadavgBefore[0]} at its start on ${m.cores} cores). `
      + 'A cell: first tries that failed that way → requests the client saw fail.', '',
    markdownTable(s.rows).trimEnd(), '',
    ...verdictLines(s.rows),
  ].join('\n');
}

/** docs/runbook.md's client section: each arm's failures as the go and node clients saw them, from the stored batch. */
export function clientsMeasured(ctx: BlockContext): string {
  const file = join(ctx.resultsDir, 'clients', 'summary.json');
  if (!existsSync(file)) return '_No stored clients batch: `npm run lab -- clients`._';
  const s = JSON.parse(readFileSync(file, 'utf8')) as ClientsSummary;
  const m = s.params.machine;
  return [
    `From [clients/table.md](${ctx.link('clients/table.md')}) (\`${s.command}\`, ${s.params.rate} req/s, ${s.params.deploys} deploys per run, ${s.params.reps} repetition(s) of each arm × client; `
      + `${s.date.slice(0, 16).replace('T', ' ')} UTC, commit ${s.commit.slice(0, 7)}, ${load(m.loadavgBefore)} on ${m.cores} cores):`, '',
    ...clientFindings(s),
  ].join('\n');
}

/** The runbook's idle-close paragraph: the stored batch's provenance and verdict (results/idle-close/). */
export function idleCloseMeasured(ctx: BlockContext): string {
  const file = join(ctx.resultsDir, 'idle-close', 'summary.json');
  if (!existsSync(file)) return '_No stored idle-close batch: `npm run lab -- idle-close`._';
  const s = JSON.parse(readFileSync(file, 'utf8')) as IdleCloseSummary;
  const m = s.params.machine;
  return `From [idle-close/table.md](${ctx.link('idle-close/table.md')}) (\`${s.command}\`, ${s.params.rate} req/s, client \`${s.params.client}\`, ${s.params.deploys} deploys × ${s.params.reps} run(s) per arm; `
    + `${s.date.slice(0, 16).replace('T', ' ')} UTC, commit ${s.commit.slice(0, 7)}, load average ${m.loadavgBefore[0]} at its start on ${m.cores} cores). ${idleCloseVerdict(s)}`;
}

/** The runbook's keep-alive paragraph, L4 half: the client's own pool against the app's idle close, per run, window and method. */
export function keepAliveL4Measured(ctx: BlockContext): string {
  const file = join(ctx.resultsDir, 'keepalive', 'summary.json');
  if (!existsSync(file)) return '_No stored keepalive batch: `npm run lab -- keepalive`._';
  const s = JSON.parse(readFileSync(file, 'utf8')) as KeepAliveSummary;
  if (!s.runs.some((r) => r.l4Rows)) return '_The stored keepalive batch predates the L4 counts: `npm run lab -- keepalive`._';
  const m = s.params.machine;
  const cell = (r: L4Row) => `${r.method} ${r.requests} sent, ${r.raw} raw failed (${r.races} on a reused connection before any response byte), ${r.resent} resent, ${r.failed} failed`;
  return [
    `From [keepalive/table.md](${ctx.link('keepalive/table.md')}) (\`${s.command}\`, client \`${s.params.client ?? 'go'}\`; ${s.date.slice(0, 16).replace('T', ' ')} UTC, commit ${s.commit.slice(0, 7)}, load average ${m.loadavgBefore[0]} at its start on ${m.cores} cores), the L4 path:`, '',
    ...s.runs.map((run) => `- ${run.arm} at ${rateText(run.rate)}/s: ${WINDOWS.map((w) => `${w}: ${(run.l4Rows ?? []).filter((r) => r.window === w && r.requests > 0).map(cell).join('; ') || 'nothing sent'}`).join(' · ')}`),
  ].join('\n');
}
