import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASSES, type ClassCounts } from '../../../loadtest/classes.js';
import { csvCell } from '../../report/csv.js';
import { failures } from '../../report/summarize.js';
import { clientsChart } from './chart.js';
import type { ClientScope } from './count.js';
import type { ClientsRun, ClientsSummary } from './summary.js';

export type { ClientsSummary };

// results/clients/: the table and CSV, rendered from summary.json (the report re-renders them).

const byClass = (c: ClassCounts) => CLASSES.filter((k) => k !== 'ok' && c[k] > 0).map((k) => `${k} ${c[k]}`).join(', ') || '—';

const COLUMNS: ReadonlyArray<readonly [string, (r: ClientsRun, w: ClientScope) => string | number]> = [
  ['rep', (r) => r.rep],
  ['arm', (r) => r.arm],
  ['client', (r) => r.client],
  ['requests in window', (_, w) => w.requests],
  ['failed as the client saw them', (_, w) => failures(w.seen)],
  ['raw failed (first attempts)', (_, w) => failures(w.raw)],
  ['resent by the client', (_, w) => w.resent],
  ['answered on the resend', (_, w) => w.resentOk],
  ['raw failures Go would resend', (_, w) => w.goShaped],
  ['seen, by class', (_, w) => byClass(w.seen)],
  ['failed in whole run (seen / raw)', (r) => `${failures(r.total.seen)} / ${failures(r.total.raw)}`],
  ['SIGKILLs', (r) => r.sigkills],
];

export function clientsCsv(s: ClientsSummary): string {
  return [COLUMNS.map(([h]) => csvCell(h)).join(','), ...s.runs.map((r) => COLUMNS.map(([, f]) => csvCell(f(r, r.window))).join(','))].join('\n') + '\n';
}

const sum = (runs: readonly ClientsRun[], f: (r: ClientsRun) => number) => runs.reduce((n, r) => n + f(r), 0);

/** One line per arm: the two clients' sums over the batch, and what the difference is made of. */
export function clientFindings(s: ClientsSummary): string[] {
  return s.params.arms.map((arm) => {
    const go = s.runs.filter((r) => r.arm === arm && r.client === 'go');
    const node = s.runs.filter((r) => r.arm === arm && r.client === 'node');
    const seen = (rs: ClientsRun[]) => sum(rs, (r) => failures(r.window.seen));
    const raw = (rs: ClientsRun[]) => sum(rs, (r) => failures(r.window.raw));
    return `- \`${arm}\` (deploy window, summed over ${go.length} + ${node.length} runs): `
      + `go saw ${seen(go)} of its ${raw(go)} raw failures; it resent ${sum(go, (r) => r.window.resent)} requests and ${sum(go, (r) => r.window.resentOk)} of them were answered. `
      + `node saw ${seen(node)} (resent ${sum(node, (r) => r.window.resent)}); ${sum(node, (r) => r.window.goShaped)} of those had the shape Go resends (reused connection, no response byte, idempotent).`;
  });
}

export function clientsMarkdown(s: ClientsSummary): string {
  const m = s.params.machine;
  return [
    '# What the client hides: Go\'s resends against none (local target)', '',
    `\`${s.command}\` · commit ${s.commit} · ${s.date} · node ${m.node} · ${m.cores} cores · loadavg ${m.loadavgBefore.join(' ')} before, ${m.loadavgAfter.join(' ')} after · run artifacts (not committed) in \`${s.params.runArtifacts}\``, '',
    `One batch: arms ${s.params.arms.join(' and ')}, each rolled with the \`go\` client (resends what Go's net/http Transport resends: an idempotent request that failed on a reused connection before any response byte — k6's client on a cluster) `
      + `and with \`node\` (resends nothing: undici, http.Agent), ${s.params.reps} repetition(s), repetition-major; ${s.params.rate} arrivals/s, ${s.params.deploys} deploys per run, L7 ${s.params.l7}. `
      + 'Counts are of the deploy window (requests alive at some moment between the first rollout event and the last old pod gone), except the whole-run column. *Raw* counts each request by its first attempt.', '',
    '![failures as each client saw them, and raw](chart.svg)', '',
    `| ${COLUMNS.map(([h]) => h).join(' | ')} |`,
    `|${COLUMNS.map(() => '---').join('|')}|`,
    ...s.runs.map((r) => `| ${COLUMNS.map(([, f]) => String(f(r, r.window))).join(' | ')} |`),
    '',
    ...clientFindings(s),
    '',
    'A resend can only hide a failure that left the request unanswered on a connection the client had used before; a 502 from the proxy, a refused connect, '
      + 'a reset after response bytes or on a fresh connection, and every POST without an idempotency key reach the client whatever it is.',
    '',
  ].join('\n');
}

export function clientsFiles(s: ClientsSummary): Array<[string, string]> {
  return [['table.md', clientsMarkdown(s)], ['table.csv', clientsCsv(s)], ['chart.svg', clientsChart(s)]];
}

export function writeClientsResults(dir: string, s: ClientsSummary): string {
  for (const [f, text] of clientsFiles(s)) writeFileSync(join(dir, f), text);
  return clientsMarkdown(s);
}
