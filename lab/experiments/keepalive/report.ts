import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepAliveChart } from './chart.js';
import { IDLE_BUCKET_MS, IDLE_BUCKETS, type KeepAliveRow } from './count.js';
import { rateText, type KeepAliveRun, type KeepAliveSummary } from './summary.js';
import { csvCell } from '../../report/csv.js';

export type { KeepAliveRun, KeepAliveSummary };

// results/keepalive/: the table and CSV, rendered from summary.json (the report re-renders them; a
// number in them is never typed by hand).

const COLUMNS: ReadonlyArray<readonly [string, (run: KeepAliveRun, r: KeepAliveRow) => string | number]> = [
  ['rate /s', (run) => rateText(run.rate)],
  ['arm', (run) => run.arm],
  ['window', (_, r) => r.window],
  ['method', (_, r) => r.method],
  ['requests via ingress', (_, r) => r.requests],
  ['failed', (_, r) => r.failed],
  ['upstream tries', (_, r) => r.tries],
  ['on a reused connection', (_, r) => r.reused],
  ['reused near the app\'s close', (_, r) => r.exposed],
  ['keep-alive races', (_, r) => r.races],
  ['races retried', (_, r) => r.racesRetried],
  ['races answered 502', (_, r) => r.racesAnswered],
];

const rowsOf = (s: KeepAliveSummary) => s.runs.flatMap((run) => run.rows.map((r) => [run, r] as const));

export function keepAliveCsv(s: KeepAliveSummary): string {
  return [COLUMNS.map(([h]) => csvCell(h)).join(','), ...rowsOf(s).map(([run, r]) => COLUMNS.map(([, f]) => csvCell(f(run, r))).join(','))].join('\n') + '\n';
}

const close = (run: KeepAliveRun, boundS: string) => (run.closeMs !== undefined
  ? `closes an idle connection ${(run.closeMs / 1000).toFixed(2)} s after its response`
  : `kept an idle connection open past the probe's ${boundS} s`) + (run.hintS !== undefined ? ` (announces Keep-Alive: timeout=${run.hintS})` : '');

function histogram(run: KeepAliveRun): string {
  const parts = run.idleHistogram.map((n, i) => [n, i] as const).filter(([n]) => n > 0).map(([n, i]) => {
    const lo = (i * IDLE_BUCKET_MS) / 1000;
    return i === IDLE_BUCKETS - 1 ? `≥ ${lo} s: ${n}` : `${lo}–${lo + IDLE_BUCKET_MS / 1000} s: ${n}`;
  });
  return parts.length ? parts.join(', ') : 'none';
}

/** Every failed upstream try of the batch, with the pod's state: a race on a pod that was not terminating is the keep-alive mismatch alone. */
function failedTable(s: KeepAliveSummary): string[] {
  const rows = s.runs.flatMap((run) => run.failedTries.map((f) => `| ${rateText(run.rate)} | ${run.arm} | ${(f.atMs / 1000).toFixed(1)} | ${f.window} | ${f.method} | ${f.pod} | ${f.outcome} | ${f.reused ? 'yes' : 'no'} | ${f.idleMs ?? '—'} | ${f.race ? 'yes' : 'no'} | ${f.answered ? 'yes' : 'no'} | ${f.podTerminatingForMs === null ? 'no' : `for ${f.podTerminatingForMs} ms`} |`));
  if (rows.length === 0) return ['No upstream try failed after it was sent.', ''];
  return ['Every upstream try that failed after it was sent:', '',
    '| rate /s | arm | s into the load | window | method | pod | error | reused | idle ms | race | client got it | pod terminating |', '|---|---|---|---|---|---|---|---|---|---|---|---|', ...rows, ''];
}

const L4_COLUMNS = ['rate /s', 'arm', 'window', 'method', 'requests via L4', 'raw failed', 'on a reused connection before any response byte', 'resent by the client', 'failed as the client saw them'];

/** The L4 rows (batches that counted them): the client's own pool against the app's idle close. */
function l4Table(s: KeepAliveSummary): string[] {
  const rows = s.runs.flatMap((run) => (run.l4Rows ?? []).map((r) => `| ${[rateText(run.rate), run.arm, r.window, r.method, r.requests, r.raw, r.races, r.resent, r.failed].join(' | ')} |`));
  if (rows.length === 0) return [];
  return [
    `The L4 path: the client (\`${s.params.client ?? 'go'}\`) keeps its own idle connections to the pods, no proxy between; the \`go\` client keeps an idle connection as k6's Go Transport does (no idle limit, the app's \`Keep-Alive: timeout=\` ignored), so it reuses connections the app is closing, resends an idempotent request that fails there before any response byte, and reports a POST's failure (loadtest/client-semantics.ts).`, '',
    `| ${L4_COLUMNS.join(' | ')} |`, `|${L4_COLUMNS.map(() => '---').join('|')}|`, ...rows, '',
  ];
}

export function keepAliveMarkdown(s: KeepAliveSummary): string {
  const m = s.params.machine;
  const tol = s.params.toleranceMs / 1000;
  const head = `| ${COLUMNS.map(([h]) => h).join(' | ')} |`;
  const sep = `|${COLUMNS.map(() => '---').join('|')}|`;
  const body = rowsOf(s).map(([run, r]) => `| ${COLUMNS.map(([, f]) => String(f(run, r))).join(' | ')} |`);
  const races = s.runs.reduce((a, run) => a + run.rows.reduce((b, r) => b + r.races, 0), 0);
  const exposed = s.runs.reduce((a, run) => a + run.rows.reduce((b, r) => b + r.exposed, 0), 0);
  return [
    '# Keep-alive timeouts out of order, measured (local target)', '',
    `\`${s.command}\` · commit ${s.commit} · ${s.date} · node ${m.node} · ${m.cores} cores · loadavg ${m.loadavgBefore.join(' ')} before, ${m.loadavgAfter.join(' ')} after · run artifacts (not committed) in \`${s.params.runArtifacts}\``, '',
    `Arms ${s.params.arms.join(' and ')}, each at ${s.params.rates.map(rateText).join(', ')} arrivals/s (${s.params.mix.join(', ')}; half of the arrivals via the ingress, half via L4), `
      + `phases ${Object.entries(s.params.phases).map(([k, v]) => `${k} ${v}`).join(', ')}. The ingress is the lab's proxy with ${s.params.proxy.id}'s defaults: `
      + `upstream connections kept idle ${s.params.proxy.idleTimeoutS} s whatever the app announces, a failed GET retried on the next upstream, a POST answered 502. `
      + `Before the load, one pod's idle close is measured on the wire (check's probe). A try counts as *reused near the app's close* when its connection had been idle within ±${tol} s of that close, `
      + 'and as a *keep-alive race* when such a try failed as a write on a closed connection does (lab/targets/local/keepalive-race.ts). Windows: *deploy* = the deploy window, *steady* = the rest of the run.', '',
    '![reused tries by idle age, the app\'s close and the races](chart.svg)', '',
    head, sep, ...body, '',
    ...l4Table(s),
    ...s.runs.map((run) => `- ${run.arm} at ${rateText(run.rate)}/s: each of the ${run.replicas} pods gets an ingress request every ${((2 * run.replicas) / run.rate).toFixed(2)} s on average (round robin); the app ${close(run, '10')}; the lab's event loop (the proxy's) lagged p50 ${run.loopDelayMs.p50} ms, p99 ${run.loopDelayMs.p99} ms, max ${run.loopDelayMs.max} ms; deploy window ${(run.windowMs / 1000).toFixed(1)} s; reused tries by the connection's idle age: ${histogram(run)}`),
    '',
    ...failedTable(s),
    races > 0
      ? `${races} keep-alive race(s) in ${exposed} tries reused near the app's close.`
      : `No keep-alive race in ${exposed} tries reused near the app's close: each was a chance, and none fell inside the race window on this machine. `
        + 'A race needs the proxy to write a request after the app closed the connection and before the proxy reads the app\'s FIN: one round trip plus the two event loops\' lag. '
        + 'Here the pods are a loopback hop away (microseconds); on a cluster the hop is a node-to-node round trip and the proxy is another machine, so the window, and with it the share of those chances that end in a race, is wider.',
    '',
  ].join('\n');
}

/** The files of results/keepalive/ besides summary.json, each a function of it alone. */
export function keepAliveFiles(s: KeepAliveSummary): Array<[string, string]> {
  return [['table.md', keepAliveMarkdown(s)], ['table.csv', keepAliveCsv(s)], ['chart.svg', keepAliveChart(s)]];
}

/** Writes table.md, table.csv and chart.svg; returns the markdown. */
export function writeKeepAliveResults(dir: string, s: KeepAliveSummary): string {
  for (const [f, text] of keepAliveFiles(s)) writeFileSync(join(dir, f), text);
  return keepAliveMarkdown(s);
}
