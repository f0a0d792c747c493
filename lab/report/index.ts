import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { updateDocBlocks } from './doc-blocks.js';
import { docFiles } from './figure-scan.js';
import { docBlocks } from './blocks/index.js';
import { regenerateTimelines } from './timelines.js';
import { writeHistory } from './history.js';
import { regenerateExperimentTables } from './experiments.js';
import { explainSection } from './explain-before.js';
import { driftSection } from './drift.js';
import { backToBackSection } from './drift-back-to-back.js';
import { stressFailures } from './stress-failures.js';
import { writeTriage } from '../tools/triage/main.js';
import { AFTER, BEFORE, LADDER, LEAVE_ONE_OUT, type Arm } from '../engine/arms.js';
import { REPO_ROOT } from '../engine/meta.js';
import { groupsOf, latestByArm, loadRuns, suiteOf, type StoredRun } from './load.js';
import { failures } from './summarize.js';
import { anyRecordedClient, clientLabel, rawFailures, resent } from './client-counts.js';
import type { RunSummary } from '../engine/schema.js';
import { provenanceLines } from './provenance.js';
import { headlineTable, zeroBound } from './headline.js';
import { loadRunData, renderCompare } from './svg-compare.js';
import { evidenceExcerpt, readEvidence } from './evidence-excerpt.js';
import type { ArmRow } from './tables.js';
import { resultsReadme } from './readme.js';
import { csvTable, markdownTable, rowsFor } from './tables.js';
import { ladderWriteup } from './writeup.js';
import { DEREGISTRATION_HEADER, deregistrationCsv, deregistrationMarkdown } from './deregistration-table.js';
import { ARMS } from '../engine/arms.js';

export const TABLES: ReadonlyArray<{ name: string; title: string; arms: readonly Arm[]; marginal?: boolean; suites: string[]; strict?: boolean }> = [
  { name: 'before-after', title: 'Before / after', arms: [BEFORE, AFTER], suites: [BEFORE.name, AFTER.name] },
  { name: 'ladder', title: 'Ladder (one lever added at a time, in order)', arms: LADDER, marginal: true, suites: ['ladder'] },
  { name: 'leave-one-out', title: 'Leave-one-out (all levers but one)', arms: LEAVE_ONE_OUT, suites: ['leave-one-out'] },
  { name: 'stress', title: 'Stress (after at 4× the default rate)', arms: [AFTER], suites: ['stress'], strict: true },
];
/** Suites whose runs only their own table shows. */
const STRICT_SUITES = new Set(TABLES.filter((t) => t.strict).flatMap((t) => t.suites));

/**
 * The side-by-side chart (rep 1 of each arm) and the evidence excerpt, for the README block;
 * written only from runs whose stored files have them.
 */
function beforeAfterExtras(resultsDir: string, before: ArmRow, after: ArmRow, written: string[]): string {
  const parts: string[] = [];
  const b = loadRunData(resultsDir, before.runs[0]!);
  const a = loadRunData(resultsDir, after.runs[0]!);
  if (b && a) {
    writeFileSync(join(resultsDir, 'before-after.svg'), renderCompare(b, a));
    written.push('before-after.svg');
    parts.push(`![before and after side by side: errors per second by class, ready and serving pods, rollout starts](results/before-after.svg)`);
  }
  const be = readEvidence(resultsDir, before.runs[0]!);
  const ae = readEvidence(resultsDir, after.runs[0]!);
  const table = be && ae ? evidenceExcerpt({ run: before.runs[0]!, e: be }, { run: after.runs[0]!, e: ae }, 'results/') : '';
  if (table) parts.push(`What the pod logs say (rep 1 of each arm; every step with its log line in the linked evidence.md):\n\n${table}`);
  return parts.join('\n\n');
}

/** Beside the failures as the client saw them: its name, the raw count and the resends (only for batches that recorded their client). */
function clientClause(used: StoredRun[]): string {
  const summaries = used.map((r) => r.summary);
  if (!anyRecordedClient(summaries)) return '';
  const clients = [...new Set(summaries.map(clientLabel))].sort().join(', ');
  const total = (f: (x: RunSummary) => number) => summaries.reduce((a, x) => a + f(x), 0);
  const raw = total((x) => rawFailures(x, 'total'));
  const sent = total((x) => resent(x, 'total'));
  // NaN: a k6 run, whose resends Go's Transport keeps to itself
  return ` as the client saw them (${clients}); ${Number.isNaN(raw) ? 'raw count not measured (k6)' : `${raw} raw (each request by its first attempt, as a client without resends counts), ${sent} resent by the client`}`;
}

/** The stress claim, checked over every run of the batch: enough requests, none failed, no job lost or duplicated. */
export const STRESS_MIN_REQUESTS = 200_000;
function stressVerdict(resultsDir: string, used: StoredRun[]): string {
  const sum = (f: (r: StoredRun) => number) => used.reduce((a, r) => a + f(r), 0);
  const requests = sum((r) => r.summary.requests);
  const failed = sum((r) => failures(r.summary.totalCounts));
  const lost = sum((r) => r.summary.jobs.lost);
  const dup = sum((r) => r.summary.jobs.duplicated);
  const met = requests >= STRESS_MIN_REQUESTS && failed === 0 && lost === 0 && dup === 0;
  const bound = failed === 0 ? ` (${zeroBound(requests)})` : '';
  return `\n## The claim\n\nOver all ${used.length} runs: ${requests} requests, ${failed} failed (whole runs)${bound}${clientClause(used)}, ${lost} jobs lost, ${dup} side effects duplicated. `
    + `Required: at least ${STRESS_MIN_REQUESTS} requests and 0 failed, lost or duplicated — **${met ? 'met' : 'not met'}**. The machine's load is in the batch line above.\n`
    + stressFailures(resultsDir, used);
}

export interface ReportOptions {
  /** where README.md and docs/ live; their generated blocks are rewritten. Default: the repository, when resultsDir is its results/ */
  docsRoot?: string;
}

/** Regenerates tables, charts, README, write-ups and every doc's generated blocks from the stored results; runs nothing. */
export function regenerateReport(resultsDir: string, warn: (m: string) => void = () => {}, opts: ReportOptions = {}): { written: string[]; runs: number } {
  mkdirSync(resultsDir, { recursive: true });
  const docsRoot = opts.docsRoot ?? (resolve(resultsDir) === resolve(REPO_ROOT, 'results') ? REPO_ROOT : undefined);
  const shown: { headline?: { rows: ArmRow[]; source: string; extra: string }; ladder: ArmRow[]; loo: ArmRow[]; beforeAfter: ArmRow[] } = { ladder: [], loo: [], beforeAfter: [] };
  const runs = loadRuns(resultsDir, warn);
  const targets = groupsOf(runs);
  const written: string[] = [];
  const counts: Array<{ name: string; title: string; arms: number }> = [];
  for (const t of TABLES) {
    const pool = t.strict ? runs : runs.filter((r) => !STRICT_SUITES.has(suiteOf(r)));
    const latest = latestByArm(pool, t.suites, t.strict);
    // before/after alone do not make a ladder or leave-one-out table: per target and L7 path, a
    // group needs the table's own arms, so an `after` of another batch never joins it on its own
    const rows = targets.flatMap((target) => {
      const group = rowsFor(t.arms, latest, target);
      return t.name === 'before-after' || t.strict || group.some((r) => r.arm !== BEFORE.name && r.arm !== AFTER.name) ? group : [];
    });
    counts.push({ name: t.name, title: t.title, arms: rows.length });
    if (rows.length === 0) continue;
    const used = rows.flatMap((r) => r.runs);
    const cmds = [...new Set(used.map((r) => r.summary.command))];
    const dates = used.map((r) => r.summary.date).sort();
    const header = [
      `# ${t.title}`, '',
      `Generated from ${used.length} stored runs (${dates[0]} … ${dates.at(-1)}) by: ${cmds.map((c) => `\`${c}\``).join(', ')}.`,
      `Parameters: ${[...new Set(used.map((r) => `${r.summary.target}, L7 ${r.summary.params.l7 ?? 'ingress-nginx'}, ${r.summary.params.rate} req/s, ${r.summary.params.deploys} deploys, propagationDelayMs ${r.summary.params.propagationDelayMs ?? 'n/a'}`))].join('; ')}.`,
      ...provenanceLines(used), '',
      'Cells: median [min–max] over repetitions; window counts are requests alive at some moment of the deploy window (first rollout event → last old pod gone); "failed in whole run" counts every failure from the start of the load to its end.',
      '',
    ].join('\n');
    const before = rows.find((r) => r.arm === BEFORE.name);
    const after = rows.find((r) => r.arm === AFTER.name);
    const stats = t.name === 'before-after' && before && after ? `\n## Before vs after, with intervals and a rank test\n\n${headlineTable(before, after)}`
      + `\n${explainSection(resultsDir, before.runs, (p) => p)}\n${driftSection(resultsDir, runs)}${backToBackSection(resultsDir)}`
      : t.name === 'stress' ? stressVerdict(resultsDir, used) : '';
    writeFileSync(join(resultsDir, `${t.name}.md`), `${header}\n${markdownTable(rows, { marginal: t.marginal })}${stats}`);
    writeFileSync(join(resultsDir, `${t.name}.csv`), csvTable(rows));
    written.push(`${t.name}.md`, `${t.name}.csv`);
    if (t.name === 'before-after' && before && after) {
      // the README shows the default L7 path only, so its provenance names only those rows' runs
      const nginx = rows.filter((r) => r.l7 === 'ingress-nginx' && r.target === 'local');
      shown.beforeAfter = nginx;
      const b = nginx.find((r) => r.arm === BEFORE.name);
      const a = nginx.find((r) => r.arm === AFTER.name);
      const extra = b && a ? beforeAfterExtras(resultsDir, b, a, written) : '';
      const source = `${provenanceLines(nginx.flatMap((r) => r.runs)).join('\n')}\n\nFull table: [results/before-after.md](results/before-after.md).`;
      shown.headline = { rows: nginx, source, extra };
    }
    if (t.name === 'ladder' && rows.length > 1) {
      const looRows = targets.flatMap((target) => rowsFor(LEAVE_ONE_OUT, latestByArm(runs, ['leave-one-out']), target));
      const p = rows[0]!.runs[0]!.summary.params;
      // the write-up compares one target and L7 path: the first group's
      const same = (r: { target: string; l7: string }) => r.target === rows[0]!.target && r.l7 === rows[0]!.l7;
      shown.ladder = rows.filter(same);
      shown.loo = looRows.filter(same);
      writeFileSync(join(resultsDir, 'ladder-writeup.md'), ladderWriteup(rows.filter(same), looRows.filter(same), {
        command: cmds.join(' / '),
        date: dates.at(-1)!,
        params: `${rows[0]!.target}, ${p.rate} req/s, ${p.deploys} deploys, propagationDelayMs ${p.propagationDelayMs ?? 'n/a'}`,
      }));
      written.push('ladder-writeup.md');
    }
  }
  const deregRows = targets.flatMap((target) => rowsFor(ARMS, latestByArm(runs), target)).filter((r) => r.runs.some((x) => x.summary.deregistration));
  if (deregRows.length) {
    writeFileSync(join(resultsDir, 'deregistration.md'), `${DEREGISTRATION_HEADER}\n${deregistrationMarkdown(deregRows)}`);
    writeFileSync(join(resultsDir, 'deregistration.csv'), deregistrationCsv(deregRows));
    written.push('deregistration.md', 'deregistration.csv');
  }
  const others = readdirSync(resultsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'runs')
    .map((d) => ({ dir: d.name, files: readdirSync(join(resultsDir, d.name)).filter((f) => /\.(md|csv|json|svg)$/.test(f)).sort() }))
    .filter((o) => o.files.length > 0);
  written.push(...regenerateTimelines(resultsDir, runs));
  written.push(...regenerateExperimentTables(resultsDir));
  written.push(...writeHistory(resultsDir, runs));
  written.push(...writeTriage(resultsDir, runs, warn));
  if (docsRoot) {
    const blocks = docBlocks(shown);
    for (const file of docFiles(docsRoot)) if (updateDocBlocks(docsRoot, file, resultsDir, blocks).length) written.push(relative(resultsDir, join(docsRoot, file)));
  }
  writeFileSync(join(resultsDir, 'README.md'), resultsReadme({ tables: counts, runs, generatedAt: new Date().toISOString(), others, hasEvidence: (d) => existsSync(join(resultsDir, d, 'evidence.md')), has: (f) => existsSync(join(resultsDir, f)) }));
  written.push('README.md');
  return { written, runs: runs.length };
}
