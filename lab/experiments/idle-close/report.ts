import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineLoad } from '../../engine/machine.js';
import { csvCell } from '../../report/csv.js';
import { median } from '../../report/stats.js';
import { maxOf, niceMax, Svg } from '../../report/svg.js';
import type { DrainTotals, MethodCounts } from './count.js';

// results/idle-close/: the table, CSV and chart, rendered from summary.json alone (the report
// re-renders them; no number in them is typed by hand).

export interface IdleCloseRun {
  arm: string;
  rep: number;
  rate: number;
  client: string;
  sent: number;
  dropped: number;
  deployDurationMs: number;
  windowMs: number;
  window: MethodCounts[];
  total: MethodCounts[];
  drain: DrainTotals;
}

export interface IdleCloseSummary {
  experiment: 'idle-close';
  command: string;
  target: 'local';
  commit: string;
  date: string;
  params: { arms: string[]; rate: number; deploys: number; reps: number; client: string; phases: Record<string, number>; mix: string[]; runArtifacts: string; machine: MachineLoad };
  runs: IdleCloseRun[];
}

const sum = (rows: readonly MethodCounts[], k: keyof Omit<MethodCounts, 'method'>) => rows.reduce((a, r) => a + r[k], 0);
const byMethod = (rows: readonly MethodCounts[], k: 'raw' | 'race') => rows.map((r) => `${r.method} ${r[k]}`).join(', ');

const COLUMNS: ReadonlyArray<readonly [string, (r: IdleCloseRun) => string | number]> = [
  ['arm', (r) => r.arm],
  ['rep', (r) => r.rep],
  ['requests', (r) => sum(r.total, 'requests')],
  ['raw failed', (r) => sum(r.total, 'raw')],
  ['raw failed by method', (r) => byMethod(r.total, 'raw')],
  ['of which on a reused connection before any response byte', (r) => sum(r.total, 'race')],
  ['failed as the client saw them', (r) => sum(r.total, 'seen')],
  ['resent by the client', (r) => sum(r.total, 'resent')],
  ['deploy-window requests', (r) => sum(r.window, 'requests')],
  ['deploy-window raw failed', (r) => sum(r.window, 'raw')],
  ['idle sockets closed by the pods', (r) => r.drain.idle],
  ['closed after a Connection: close response', (r) => r.drain.afterResponse],
  ['forced', (r) => r.drain.forced],
  ['pod shutdown median ms', (r) => (r.drain.shutdownMs.length ? Math.round(median(r.drain.shutdownMs)) : '—')],
  ['deploy duration ms', (r) => Math.round(r.deployDurationMs)],
];

export function idleCloseCsv(s: IdleCloseSummary): string {
  return [COLUMNS.map(([h]) => csvCell(h)).join(','), ...s.runs.map((r) => COLUMNS.map(([, f]) => csvCell(f(r))).join(','))].join('\n') + '\n';
}

/** Per arm, over its runs: what the verdict compares. */
export function armTotals(s: IdleCloseSummary) {
  return s.params.arms.map((arm) => {
    const runs = s.runs.filter((r) => r.arm === arm);
    return {
      arm, runs: runs.length,
      requests: runs.reduce((a, r) => a + sum(r.total, 'requests'), 0),
      raw: runs.reduce((a, r) => a + sum(r.total, 'raw'), 0),
      race: runs.reduce((a, r) => a + sum(r.total, 'race'), 0),
      idleClosed: runs.reduce((a, r) => a + r.drain.idle, 0),
      shutdownMs: median(runs.flatMap((r) => r.drain.shutdownMs)),
    };
  });
}

export function idleCloseVerdict(s: IdleCloseSummary): string {
  const [a, b] = armTotals(s);
  if (!a || !b) return '';
  const rate = (x: { raw: number; requests: number }) => (x.requests ? `${x.raw} in ${x.requests} (${((x.raw / x.requests) * 1e5).toFixed(1)} per 100,000)` : 'no requests');
  const head = `Raw failures: ${a.arm} ${rate(a)}, ${b.arm} ${rate(b)}; with the race's signature (reused connection, no response byte): ${a.arm} ${a.race}, ${b.arm} ${b.race}. `
    + `Idle sockets the pods closed: ${a.idleClosed} vs ${b.idleClosed}; pod shutdown median ${Math.round(a.shutdownMs)} ms vs ${Math.round(b.shutdownMs)} ms.`;
  // Counts this small are Poisson: a difference counts only when the two counts' ~95 % ranges (x ± 2√x) do not overlap.
  const separated = (x: number, y: number) => x - 2 * Math.sqrt(x) > y + 2 * Math.sqrt(y);
  // requests differ little between arms (same rate and phases), so the counts compare as they are
  const better = separated(a.raw, b.raw);
  const worse = separated(b.raw, a.raw);
  const says = better ? `${b.arm} has fewer raw failures than ${a.arm}, beyond the counts' own noise (x ± 2√x apart).`
    : worse ? `${b.arm} has more raw failures than ${a.arm}, beyond the counts' own noise (x ± 2√x apart).`
      : `The raw counts do not differ beyond their own noise (x ± 2√x overlap): this batch does not show that ${b.arm} lowers the raw count, so IDLE_CLOSE stays \`jitter\` by default.`;
  return `${head} ${says}`;
}

export function idleCloseMarkdown(s: IdleCloseSummary): string {
  const m = s.params.machine;
  return [
    '# A draining pod\'s idle keep-alive sockets: destroyed over a jitter window, or kept until the client\'s idle window (local target)', '',
    `\`${s.command}\` · commit ${s.commit} · ${s.date} · node ${m.node} · ${m.cores} cores · loadavg ${m.loadavgBefore.join(' ')} before, ${m.loadavgAfter.join(' ')} after · run artifacts (not committed) in \`${s.params.runArtifacts}\``, '',
    `Arms ${s.params.arms.join(' and ')}, ${s.params.reps} run(s) each, repetition-major, at ${s.params.rate} arrivals/s with client \`${s.params.client}\` `
      + `(${s.params.mix.join(', ')}; half via L4, half via the ingress), ${s.params.deploys} deploys per run, phases ${Object.entries(s.params.phases).map(([k, v]) => `${k} ${v}`).join(', ')}. `
      + '`after` destroys a draining pod\'s idle keep-alive sockets at random moments over CLOSE_JITTER_MS as its listener closes (IDLE_CLOSE=jitter); '
      + '`after-idle-window` keeps them open, answers the next request on one with `Connection: close`, and closes one still idle only after CLIENT_IDLE_WINDOW_MS '
      + '(default: the app\'s keep-alive timeout, the longest any client can keep it) since its last response, capped 1 s before SHUTDOWN_DEADLINE_MS. '
      + '*Raw* counts each request by its first attempt (what a client without resends reports); the race\'s signature is a raw failure on a reused connection before any response byte.', '',
    '![raw failures and idle sockets closed per arm](chart.svg)', '',
    `| ${COLUMNS.map(([h]) => h).join(' | ')} |`, `|${COLUMNS.map(() => '---').join('|')}|`,
    ...s.runs.map((r) => `| ${COLUMNS.map(([, f]) => String(f(r))).join(' | ')} |`), '',
    idleCloseVerdict(s), '',
  ].join('\n');
}

export function idleCloseChart(s: IdleCloseSummary): string {
  const totals = armTotals(s);
  const W = 300;
  const H = 160;
  const svg = new Svg(80 + 2 * (W + 70), 270);
  svg.text(60, 20, `Idle-close race, ${s.params.rate}/s, client ${s.params.client}, ${s.params.deploys} deploys × ${s.params.reps} run(s) per arm`, 'font-weight="bold"');
  const panels: Array<[string, (t: (typeof totals)[number]) => number, string]> = [
    ['raw failures (race signature dark)', (t) => t.raw, '#c62828'],
    ['idle sockets closed by the draining pods', (t) => t.idleClosed, '#1565c0'],
  ];
  panels.forEach(([title, val, color], i) => {
    const x = 60 + i * (W + 70);
    const y = 60;
    const { top, step } = niceMax(maxOf(totals.map(val), 1));
    svg.panel({ x, y, w: W, h: H, title, top, step });
    const bw = W / (totals.length * 2);
    totals.forEach((t, j) => {
      const bx = x + bw * (2 * j + 0.5);
      const h = (val(t) / top) * H;
      svg.rect(bx, y + H - h, bw, h, color, 'fill-opacity="0.45"', `${t.arm}: ${val(t)}`);
      if (i === 0) { const hr = (t.race / top) * H; svg.rect(bx, y + H - hr, bw, hr, color, '', `${t.arm}: ${t.race} with the race's signature`); }
      svg.text(bx + bw / 2, y + H + 16, t.arm, 'text-anchor="middle" fill="#444"');
      svg.text(bx + bw / 2, y + H - h - 4, String(val(t)), 'text-anchor="middle"');
    });
  });
  return svg.toString();
}

export function idleCloseFiles(s: IdleCloseSummary): Array<[string, string]> {
  return [['table.md', idleCloseMarkdown(s)], ['table.csv', idleCloseCsv(s)], ['chart.svg', idleCloseChart(s)]];
}

export function writeIdleCloseResults(dir: string, s: IdleCloseSummary): string {
  for (const [f, text] of idleCloseFiles(s)) writeFileSync(join(dir, f), text);
  return idleCloseMarkdown(s);
}
