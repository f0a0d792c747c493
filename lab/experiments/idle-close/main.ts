import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { loadScenario } from '../../../loadtest/scenario.js';
import { parseOrExit } from '../../engine/args.js';
import { findArm } from '../../engine/arms.js';
import { loadNow, machineLoad } from '../../engine/machine.js';
import { currentCommit, REPO_ROOT, stamp } from '../../engine/meta.js';
import { Progress } from '../../engine/progress.js';
import { runExperiment } from '../../engine/protocol.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import { countMethods, drainTotals } from './count.js';
import { IDLE_CLOSE_USAGE, parseIdleCloseArgs } from './options.js';
import { writeIdleCloseResults, type IdleCloseRun, type IdleCloseSummary } from './report.js';

// `npm run lab -- idle-close`: `after` vs `after-idle-window` under the same load, repetition-major, one
// batch. The runs' own artifacts (requests, pod logs) stay in .lab/idle-close/<batch>/: they are not
// runs of the headline tables. Exit 0 = the batch ran; 1 = a run failed; 2 = bad option.

const ARMS = ['after', 'after-idle-window'] as const;
const say = (line: string) => process.stderr.write(`[idle-close] ${line}\n`);

export async function idleClose(argv: string[]): Promise<number> {
  const o = parseOrExit(argv, IDLE_CLOSE_USAGE, () => parseIdleCloseArgs(argv));
  if (typeof o === 'number') return o;
  installSignalTeardown(say);
  const scenario = loadScenario();
  const date = new Date();
  const loadBefore = loadNow();
  const commit = currentCommit(); // at the start: a commit made while it runs is not its code
  const command = `npm run lab -- idle-close ${argv.join(' ')}`.trim();
  const batch = `${stamp(date)}-idle-close`;
  const scratch = join(REPO_ROOT, '.lab', 'idle-close', batch);
  const methodOf = new Map(scenario.mix.map((m) => [m.name, m.method]));
  const progress = new Progress();
  const runs: IdleCloseRun[] = [];
  try {
    for (let rep = 1; rep <= o.reps; rep++) {
      for (const name of ARMS) {
        const workDir = join(scratch, 'work');
        const { summary, records, dir } = await runExperiment({
          arm: findArm(name), rep, reps: o.reps, rate: o.rate, deploys: o.deploys, scenario, resultsDir: join(scratch, 'results'), workDir,
          command, batch, progress, client: o.client,
        });
        const run: IdleCloseRun = {
          arm: name, rep, rate: o.rate, client: o.client, sent: summary.params.sent as number, dropped: summary.droppedIterations,
          deployDurationMs: summary.deployDurationMs, windowMs: summary.window.end - summary.window.start,
          window: countMethods(records, methodOf, summary.window, 'window'), total: countMethods(records, methodOf, summary.window, 'total'),
          drain: drainTotals(join(workDir, basename(dir), 'pods')),
        };
        runs.push(run);
        const raw = run.total.reduce((a, r) => a + r.raw, 0);
        const race = run.total.reduce((a, r) => a + r.race, 0);
        progress.log(`${name} rep ${rep}: ${run.total.reduce((a, r) => a + r.requests, 0)} requests, ${raw} raw failures (${race} with the race's signature); pods closed ${run.drain.idle} idle sockets`);
      }
    }
  } finally {
    progress.stop();
  }
  const summary: IdleCloseSummary = {
    experiment: 'idle-close', command, target: 'local', commit, date: date.toISOString(),
    params: {
      arms: [...ARMS], rate: o.rate, deploys: o.deploys, reps: o.reps, client: o.client,
      phases: { ...scenario.phases, deploys: o.deploys }, mix: scenario.mix.map((m) => `${m.method} ${m.path} ×${m.weight}`),
      runArtifacts: relative(REPO_ROOT, scratch), machine: machineLoad(loadBefore),
    },
    runs,
  };
  const outDir = join(resolve(o.resultsDir ?? join(REPO_ROOT, 'results')), 'idle-close');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(writeIdleCloseResults(outDir, summary));
  say(`written to ${relative(process.cwd(), outDir) || outDir}/{summary.json,table.md,table.csv,chart.svg}`);
  return 0;
}
