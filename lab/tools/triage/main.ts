import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isLabError, LabError } from '../../../common/errors.js';
import { parseOptions, parseOrExit, usage } from '../../engine/args.js';
import { REPO_ROOT } from '../../engine/meta.js';
import { resultsHome } from '../../engine/home.js';
import { percentile, inWindow } from '../../report/stats.js';
import { latestByArm, loadRuns, type StoredRun } from '../../report/load.js';
import { provenanceLines } from '../../report/provenance.js';
import { updateDocBlocks, type BlockContext } from '../../report/doc-blocks.js';
import { docFiles } from '../../report/figure-scan.js';
import { MECHANISMS, mechanismOf, SIGKILL_NEAR_MS, type Mechanism } from './mechanism.js';
import { loadRunModel } from './run-model.js';
import { triageSvg } from './svg.js';
import { triageTable, type ArmExtra, type Row, type Spread } from './table.js';

// The runbook's "Reading a deploy-window spike" table, computed from the stored runs
// (requests.jsonl.gz, events.json, evidence.json) of `before` and the leave-one-out arms: every
// failed request attributed to the mechanism its moment shows. `npm run lab -- report` writes it
// (results/triage/{summary.json,table.md,triage.svg} and the runbook's `triage` block); `npm run lab
// -- triage` does the same alone. Output depends on the stored runs only, so regenerating changes nothing.

const ARMS = ['before', 'without-pid1', 'without-readiness', 'without-drain', 'without-requeue', 'without-surge'];

export const TRIAGE_OPTIONS = { 'results-dir': { type: 'string', arg: 'DIR', help: 'where the stored runs are (default results/)' } } as const;

function spreadOf(xs: number[]): Spread | null {
  if (!xs.length) return null;
  const q = (p: number) => Math.round(percentile(xs, p));
  return { p50: q(50), p10: q(10), p90: q(90), n: xs.length };
}

function extrasOf(arm: string, runs: StoredRun[]): ArmExtra[] {
  const source = `${runs[0]!.dir}/summary.json`;
  if (arm === 'without-requeue') return [{ arm, label: 'side effects duplicated', perRun: runs.map((r) => r.summary.jobs.duplicated), lever: 'requeue', mode: 'a job cut off mid-run is redelivered and its non-idempotent effect applied twice', source }];
  if (arm === 'without-surge') return [{ arm, label: 'min ready pods', perRun: runs.map((r) => r.summary.minReadyPods), lever: 'surge', mode: 'capacity dip: maxSurge 0 takes a pod out before its replacement is ready', source }];
  return [];
}

interface Acc { failed: number; inWindow: number; classes: Record<string, number>; since: number[] }

/** Rows of one arm: its failed requests grouped by mechanism, biggest first. */
function rowsOf(arm: string, runs: StoredRun[], resultsDir: string): Row[] {
  const acc = new Map<Mechanism, Acc>();
  let armFailed = 0;
  for (const run of runs) {
    const m = loadRunModel(join(resultsDir, run.dir));
    if (!m) continue;
    const w = run.summary.window;
    for (const r of m.records) {
      if (r.class === 'ok') continue;
      armFailed++;
      const mech = mechanismOf(m, r);
      const a = acc.get(mech) ?? { failed: 0, inWindow: 0, classes: {}, since: [] };
      a.failed++;
      if (inWindow(r, w)) a.inWindow++;
      a.classes[r.class] = (a.classes[r.class] ?? 0) + 1;
      const roll = m.rollouts.filter((t) => t <= r.t_end).at(-1);
      if (roll !== undefined) a.since.push(r.t_end - roll);
      acc.set(mech, a);
    }
  }
  return [...acc.entries()].map(([mechanism, a]): Row => ({
    arm, mechanism, runs: runs.length, failed: a.failed, inWindow: a.inWindow, armFailed, classes: a.classes,
    sinceRolloutMs: spreadOf(a.since), source: `${runs[0]!.dir}/summary.json`,
  })).sort((x, y) => y.failed - x.failed);
}

interface TriageSummary { command: string; parameters: Record<string, unknown>; provenance: string[]; rows: Row[]; extras: ArmExtra[] }

/** Computes and writes results/triage/ from the stored runs; returns the files written (relative to resultsDir). */
export function writeTriage(resultsDir: string, all: readonly StoredRun[], log: (m: string) => void = () => {}): string[] {
  const latest = latestByArm(all, ['before', 'leave-one-out']);
  const rows: Row[] = [];
  const extras: ArmExtra[] = [];
  const used: StoredRun[] = [];
  for (const [i, arm] of ARMS.entries()) {
    const runs = latest.get(`${arm}|local`) ?? [];
    log(`triage: ${arm} (${i + 1}/${ARMS.length}): ${runs.length} stored run(s)`);
    if (!runs.length) continue;
    used.push(...runs);
    rows.push(...rowsOf(arm, runs, resultsDir));
    extras.push(...extrasOf(arm, runs));
  }
  if (!used.length) return [];
  const out = join(resultsDir, 'triage');
  mkdirSync(out, { recursive: true });
  const summary: TriageSummary = {
    command: 'npm run lab -- report (or npm run lab -- triage)',
    parameters: { arms: ARMS, sigkillNearMs: SIGKILL_NEAR_MS, mechanisms: Object.keys(MECHANISMS), runs: used.map((r) => r.dir) },
    provenance: provenanceLines(used), rows, extras,
  };
  const files: Array<[string, string]> = [
    ['summary.json', `${JSON.stringify(summary, null, 2)}\n`],
    ['triage.svg', triageSvg(rows, `${used.length} stored runs of ${[...new Set(used.map((r) => r.summary.commit.slice(0, 7)))].join(', ')}`)],
    ['table.md', `# Deploy-window triage\n\n${summary.provenance.join('\n')}\n\n${triageTable(rows, extras, (p) => `../${p}`)}\n![when failures happen](triage.svg)\n`],
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const file = join(out, name);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    writeFileSync(file, text);
    written.push(`triage/${name}`);
  }
  return written;
}

/** The runbook's `triage` block, from results/triage/summary.json. */
export function triageBlock(resultsDir: string, link: BlockContext['link']): string {
  const file = join(resultsDir, 'triage', 'summary.json');
  if (!existsSync(file)) return '_No triage yet: `npm run lab -- report` after `make before leave-one-out`._';
  const s = JSON.parse(readFileSync(file, 'utf8')) as TriageSummary;
  return `${s.provenance.join('\n')}\n\n${triageTable(s.rows, s.extras, link)}\n![when failures happen](${link('triage/triage.svg')})\n`;
}

export async function triage(argv: string[]): Promise<number> {
  const parsed = parseOrExit(argv, usage('usage: npm run lab -- triage [options]', TRIAGE_OPTIONS), () => parseOptions(TRIAGE_OPTIONS, argv).values);
  if (typeof parsed === 'number') return parsed;
  const resultsDir = resolve(parsed.resultsDir ?? resultsHome());
  const say = (m: string) => process.stderr.write(`${m}\n`);
  const written = writeTriage(resultsDir, loadRuns(resultsDir, say), say);
  if (!existsSync(join(resultsDir, 'triage', 'summary.json'))) throw new LabError('LAB_MISSING_MANIFEST', `no stored local runs of ${ARMS.join(', ')} under ${resultsDir}/runs: run \`make before leave-one-out\` first`);
  const docs = resultsDir === resolve(REPO_ROOT, 'results')
    ? docFiles(REPO_ROOT).filter((f) => updateDocBlocks(REPO_ROOT, f, resultsDir, { triage: (ctx) => triageBlock(resultsDir, ctx.link) }, 'triage').length) : [];
  say(`triage: ${written.length ? written.join(', ') : 'nothing changed'} under ${resultsDir}${docs.length ? `; ${docs.join(', ')}` : ''}`);
  return 0;
}

export async function triageMain(argv: string[]): Promise<number> {
  try {
    return await triage(argv);
  } catch (e) {
    if (!isLabError(e)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 1;
  }
}
