import { isAbsolute, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isLabError } from '../../../common/errors.js';
import { KMJ_USAGE, parseKmjOptions, type KmjOptions } from './options.js';
import { runMode, type ModeResult } from './run.js';
import { markdownTable, verdicts, writeResults } from './report.js';
import { loadNow, REPO_ROOT, startProvenance } from '../../engine/meta.js';

/**
 * `npm run lab -- kill-mid-job`: Redis, the service and two workers as real processes; jobs in
 * through POST /jobs; workers SIGKILLed and SIGTERMed mid-job and restarted; the ledger audited,
 * for requeue on and off. Exit 0 = done and the fix held; 1 = bad options; 2 = requeue on showed a
 * loss or a duplicate (or the queue did not drain).
 */
export async function killMidJob(argv: string[]): Promise<number> {
  let o: KmjOptions & { help: boolean };
  try {
    o = parseKmjOptions(argv);
  } catch (err) {
    if (!isLabError(err)) throw err;
    process.stderr.write(`${err.message}\n\n${KMJ_USAGE}\n`);
    return 1;
  }
  if (o.help) {
    process.stdout.write(`${KMJ_USAGE}\n`);
    return 0;
  }
  const { help: _help, ...params } = o;
  const started = Date.now();
  const start = startProvenance(); // commit, date and load at the start
  const date = start.date;
  const rows: ModeResult[] = [];
  for (const [i, mode] of o.modes.entries()) {
    const modeStart = Date.now();
    const say = (phase: string) =>
      process.stderr.write(`[kill-mid-job ${mode.id} ${i + 1}/${o.modes.length}] ${phase} | mode ${((Date.now() - modeStart) / 1000).toFixed(0)}s | total ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
    say(`start: ${mode.title}`);
    rows.push(await runMode(mode, o, REPO_ROOT, say));
  }
  const notes: string[] = [];
  if (rows.some((r) => r.enqueuedVia !== 'POST /jobs')) notes.push('the service was not built: jobs were enqueued through bullmq directly (fallback), not POST /jobs');
  if (rows.some((r) => !r.drained)) notes.push('a mode did not drain within the limit: its numbers are as observed at the limit');
  if (rows.some((r) => r.rejected > 0)) notes.push(`POST /jobs not accepted: ${rows.map((r) => `${r.mode}=${r.rejected}`).join(', ')}`);
  const v = verdicts(rows);
  const out = isAbsolute(o.out) ? o.out : join(REPO_ROOT, o.out);
  writeResults(out, {
    // The command line as it really ran (the lab CLI, make, or this file directly).
    command: ['node', relative(REPO_ROOT, process.argv[1] ?? 'dist/lab/experiments/kill-mid-job/main.js'), ...process.argv.slice(2)].join(' '),
    target: 'local processes',
    ...start,
    loadavgAfter: loadNow(),
    params: { ...params, modes: o.modes.map((m) => m.id) },
    notes,
    verdicts: v,
    modes: rows,
  });
  process.stdout.write(`${markdownTable(rows)}\n\n${v.map((x) => `- ${x}`).join('\n')}\n${notes.map((n) => `- note: ${n}`).join('\n')}\nwritten to ${out}/{summary.json,table.md,table.csv}\n`);
  const on = rows.filter((r) => r.fixes === 'all');
  return on.every((r) => r.drained && r.audit.lost === 0 && r.audit.duplicated === 0 && r.audit.balanceMismatches === 0) ? 0 : 2;
}

// Also runnable on its own: node dist/lab/experiments/kill-mid-job/main.js [options].
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  killMidJob(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => { process.stderr.write(`kill-mid-job failed: ${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); },
  );
}
