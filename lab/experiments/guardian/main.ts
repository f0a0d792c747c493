import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseOrExit } from '../../engine/args.js';
import { currentCommit, REPO_ROOT, stamp } from '../../engine/meta.js';
import { loadNow, machineLoad } from '../../engine/machine.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import { collectEvidence } from '../../report/evidence.js';
import { evidenceMarkdown } from '../../report/evidence-md.js';
import { GUARDIAN_USAGE, parseGuardianArgs } from './options.js';
import { guardianMarkdown, guardianRow, guardianVerdicts } from './report.js';
import { podsDirOf, runGuardian } from './run.js';

// `npm run lab -- guardian`: a request outlives the shutdown deadline; the guardian forces the exit
// (70) and names what was open, before the kubelet's SIGKILL. Exit 0 = every claim held; 1 = the run
// failed or a claim did not hold; 2 = bad option (nothing started).

const say = (line: string) => process.stderr.write(`[guardian] ${line}\n`);

export async function guardian(argv: string[]): Promise<number> {
  const o = parseOrExit(argv, GUARDIAN_USAGE, () => parseGuardianArgs(argv));
  if (typeof o === 'number') return o;
  installSignalTeardown(say);
  const date = new Date();
  const loadBefore = loadNow();
  const runName = `${stamp(date)}-guardian`;
  const runDir = join(REPO_ROOT, '.lab', 'runs', runName);
  const outDir = join(resolve(o.resultsDir ?? join(REPO_ROOT, 'results')), 'guardian');
  const manifest = 'k8s/rendered/after.yaml';
  const command = `npm run lab -- guardian ${argv.join(' ')}`.trim();
  const commit = currentCommit(); // at the start: a commit made while it runs is not its code
  const t0 = Date.now();
  const run = await runGuardian({ manifestFile: join(REPO_ROOT, manifest), runDir, slowMs: o.slowMs, say: (s) => say(`${s} | ${((Date.now() - t0) / 1000).toFixed(0)} s`) });
  const rows = run.held.map((h) => guardianRow(podsDirOf(runDir), h));
  const verdicts = guardianVerdicts(rows);
  const summary = {
    experiment: 'guardian', command, target: 'local', commit, date: date.toISOString(),
    params: { manifest, slowMs: o.slowMs, rolloutMs: run.rolloutMs, machine: machineLoad(loadBefore) },
    verdicts, rows,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const table = guardianMarkdown(summary);
  writeFileSync(join(outDir, 'table.md'), table);
  const evidence = collectEvidence(podsDirOf(runDir));
  evidence.pods = evidence.pods.filter((p) => p.role === 'service' && rows.some((r) => r.pod === p.pod));
  evidence.started = [];
  writeFileSync(join(outDir, 'evidence.md'), evidenceMarkdown({
    run: runName, arm: 'after', levers: ['pid1', 'readiness', 'drain', 'requeue', 'surge'], command, commit, date: summary.date, podLogs: relative(REPO_ROOT, podsDirOf(runDir)),
  }, evidence));
  process.stdout.write(table);
  say(`written to ${relative(process.cwd(), outDir) || outDir}/{summary.json,table.md,evidence.md}`);
  return verdicts.every((x) => x.held) ? 0 : 1;
}
