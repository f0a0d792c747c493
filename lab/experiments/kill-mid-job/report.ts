import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KmjOptions } from './options.js';
import type { ModeResult } from './run.js';
import { csvCell } from '../../report/csv.js';

export const COLUMNS = [
  ['mode', (r: ModeResult) => r.mode],
  ['LAB_FIXES', (r: ModeResult) => r.fixes],
  ['accepted', (r: ModeResult) => r.accepted],
  ['completed', (r: ModeResult) => r.deliveries.completed],
  ['failed', (r: ModeResult) => r.deliveries.failed],
  ['redelivered', (r: ModeResult) => r.deliveries.redelivered],
  ['redelivered after effect', (r: ModeResult) => r.deliveries.redeliveredAfterEffect],
  ['requeued on SIGTERM', (r: ModeResult) => r.deliveries.requeued],
  ['stalled', (r: ModeResult) => r.deliveries.stalled],
  ['duplicate suppressed', (r: ModeResult) => r.deliveries.suppressed],
  ['lost', (r: ModeResult) => r.audit.lost],
  ['duplicated side effects', (r: ModeResult) => r.audit.duplicated],
  ['accounts off balance', (r: ModeResult) => r.audit.balanceMismatches],
  ['SIGKILL', (r: ModeResult) => r.signals.filter((s) => s.signal === 'SIGKILL').length],
  ['SIGTERM', (r: ModeResult) => r.signals.filter((s) => s.signal === 'SIGTERM').length],
  ['drained', (r: ModeResult) => (r.drained ? 'yes' : 'NO (limit)')],
  ['wall s', (r: ModeResult) => (r.wallMs / 1000).toFixed(1)],
] as const;

export function markdownTable(rows: ModeResult[]): string {
  const head = `| ${COLUMNS.map(([h]) => h).join(' | ')} |`;
  const sep = `|${COLUMNS.map(() => '---').join('|')}|`;
  return [head, sep, ...rows.map((r) => `| ${COLUMNS.map(([, f]) => String(f(r))).join(' | ')} |`)].join('\n');
}

export function csvTable(rows: ModeResult[]): string {
  return [COLUMNS.map(([h]) => csvCell(h)).join(','), ...rows.map((r) => COLUMNS.map(([, f]) => csvCell(f(r))).join(','))].join('\n') + '\n';
}

/** Did the fix hold, did the failure show? One sentence per mode, for the table footer. */
export function verdicts(rows: ModeResult[]): string[] {
  return rows.map((r) => {
    const a = r.audit;
    if (r.fixes === 'all') {
      return a.lost === 0 && a.duplicated === 0 && a.balanceMismatches === 0
        ? `${r.mode}: as expected, 0 lost and 0 duplicated; ${r.deliveries.redeliveredAfterEffect} jobs were redelivered after their effect and the guard suppressed all ${r.deliveries.suppressed} second applications.`
        : `${r.mode}: UNEXPECTED: ${a.lost} lost, ${a.duplicated} duplicated with requeue on.`;
    }
    return a.duplicated > 0
      ? `${r.mode}: as expected, ${a.duplicated} side effects applied twice after redelivery (${a.balanceMismatches} accounts off balance); ${a.lost} lost.`
      : `${r.mode}: no kill landed between an effect and its job's completion this time (0 duplicated; ${a.lost} lost); rerun with another --seed or more --kills.`;
  });
}

export interface KmjSummary {
  command: string;
  target: 'local processes';
  commit: string;
  date: string;
  /** recorded by runs since the lab records provenance at the start (absent in older summaries) */
  node?: string;
  cores?: number;
  loadavgBefore?: number[];
  loadavgAfter?: number[];
  params: Omit<KmjOptions, 'modes'> & { modes: string[] };
  notes: string[];
  verdicts: string[];
  modes: ModeResult[];
}

export function writeResults(dir: string, s: KmjSummary): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(s, null, 2) + '\n');
  writeFileSync(join(dir, 'table.csv'), csvTable(s.modes));
  const p = s.params;
  const md = [
    '# kill-mid-job',
    '',
    `Command: \`${s.command}\`  `,
    `Target: ${s.target}; commit ${s.commit}${s.loadavgBefore ? " (at its start)" : ""}; date ${s.date}; ${s.loadavgBefore ? `${s.cores} cores, 1-min load average ${s.loadavgBefore[0]} at its start and ${s.loadavgAfter?.[0] ?? '?'} at its end` : 'machine load not recorded (run made before the lab recorded it)'}  `,
    `Parameters: ${p.jobs} jobs at ${p.rate}/s through ${s.modes[0]?.enqueuedVia ?? 'POST /jobs'}, 2 workers x concurrency ${p.concurrency}, JOB_MS=${p.jobMs}, LOCK_MS=${p.lockMs}, SHUTDOWN_DEADLINE_MS=${p.shutdownDeadlineMs}, ${p.kills} SIGKILL + ${p.terms} SIGTERM per mode (each followed by a restart), seed ${p.seed}.`,
    '',
    markdownTable(s.modes),
    '',
    ...s.verdicts.map((v) => `- ${v}`),
    ...s.notes.map((n) => `- note: ${n}`),
    '',
    'Per-job log evidence (a job redelivered after its effect: which process applied it, which one suppressed or repeated it) is in summary.json under modes[].evidence.',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'table.md'), md);
}
