import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LabError } from '../../common/errors.js';
import { loadScenario, type Scenario } from '../../loadtest/scenario.js';
import { AFTER, findArm, LADDER, LEAVE_ONE_OUT, type Arm } from './arms.js';
import { plannedRunMs } from './plan.js';
import { Progress } from './progress.js';
import type { LabArgs } from './args.js';
import { REPO_ROOT, stamp } from './meta.js';
import { resultsHome, scratchHome } from './home.js';
import { installSignalTeardown } from './teardown.js';
import { regenerateReport } from '../report/index.js';
import { failures } from '../report/summarize.js';
import type { RunSummary } from './schema.js';

type KindRun = typeof import('../targets/kind/run.js')['runKind'];

// The arms and the engine's own commands (`npm run lab -- before after`, ladder, leave-one-out,
// stress, report): every arm × repetition through the protocol, then the report. lab/cli.ts loads
// this module only for these commands, so a tool such as doctor never pays for the engine.

const say = (line: string) => process.stderr.write(`${line}\n`);

/** The stress row: `after` at this multiple of the scenario's rate, over this many repetitions by default. */
export const STRESS_RATE_FACTOR = 4;
export const STRESS_REPS = 5;

function armsFor(args: LabArgs): Arm[] {
  if (args.command === 'ladder') return [...LADDER];
  if (args.command === 'leave-one-out') return [...LEAVE_ONE_OUT];
  if (args.command === 'stress') return [AFTER];
  return args.arms.map(findArm);
}

function tableFor(command: string): string {
  if (command === 'ladder') return 'ladder';
  if (command === 'leave-one-out') return 'leave-one-out';
  if (command === 'stress') return 'stress';
  return 'before-after';
}

async function runKindTarget(runKind: KindRun, args: LabArgs, arms: Arm[], resultsDir: string, rate: number, deploys: number, command: string): Promise<RunSummary[]> {
  const all: RunSummary[] = [];
  // one batch per invocation, as locally: the report keeps every repetition of it
  const batch = new Date().toISOString();
  for (const arm of arms) {
    const summaries = await runKind({ arm: arm.name, reps: args.reps, rate, deploys, dryRun: args.dryRun, runDir: join(resultsDir, 'runs'), batch, command, l7: args.l7 });
    if (args.dryRun) continue;
    for (const s of summaries) {
      const dir = join(resultsDir, 'runs', `${stamp(new Date(s.date))}-${s.arm}-kind-rep${s.rep}`);
      const file = join(dir, 'summary.json');
      // the kind target may already have written its own run directory; keep what it wrote
      if (!existsSync(file)) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, `${JSON.stringify(s, null, 2)}\n`);
      }
      all.push(s);
    }
  }
  return all;
}

interface LocalPlan {
  args: LabArgs;
  arms: Arm[];
  resultsDir: string;
  rate: number;
  deploys: number;
  scenario: Scenario;
  command: string;
  perRunMs: number;
}

/** Every arm × repetition on the local target, repetition-major, with progress and a remaining-time estimate. */
async function runLocalArms({ args, arms, resultsDir, rate, deploys, scenario, command, perRunMs }: LocalPlan): Promise<RunSummary[]> {
  const { runExperiment } = await import('./protocol.js');
  const progress = new Progress();
  const batch = new Date().toISOString();
  const started = Date.now();
  const workDir = join(scratchHome(), 'runs');
  let done = 0;
  const total = arms.length * args.reps;
  const measured: number[] = [];
  let currentStart = started;
  const etaAt = () => {
    const avg = measured.length ? measured.reduce((a, b) => a + b, 0) / measured.length : perRunMs;
    return currentStart + (total - done) * avg;
  };
  const summaries: RunSummary[] = [];
  try {
    // repetition-major order: drift of the machine over time spreads over every arm equally
    for (let rep = 1; rep <= args.reps; rep++) {
      for (const arm of arms) {
        const t0 = Date.now();
        currentStart = t0;
        const { summary, dir } = await runExperiment({
          arm, rep, reps: args.reps, rate, deploys, propagationDelayMs: args.propagationDelayMs, l7: args.l7, client: args.client, scenario,
          resultsDir, workDir, command, batch, progress, invocationStartedAt: started, etaAt,
        });
        measured.push(Date.now() - t0);
        done++;
        summaries.push(summary);
        progress.log(`${arm.name} rep ${rep}: ${failures(summary.windowCounts)} failed in the deploy window `
          + `(${(summary.windowErrorRate * 100).toFixed(2)} %), SIGKILLs ${summary.sigkills}, min ready ${summary.minReadyPods}, `
          + `jobs lost ${summary.jobs.lost} / duplicated ${summary.jobs.duplicated}, deploy ${(summary.deployDurationMs / 1000).toFixed(1)} s → ${dir}`);
      }
    }
  } finally {
    progress.stop();
  }
  return summaries;
}

/** `argv` as typed (for the record); `args` parsed by parseLabArgs. */
export async function runArms(args: LabArgs, argv: string[], invokedAs: string): Promise<number> {
  const resultsDir = resolve(args.resultsDir ?? resultsHome());
  if (args.command === 'report') {
    const r = regenerateReport(resultsDir, say);
    say(`report: ${r.runs} stored runs → ${r.written.map((w) => join(resultsDir, w)).join(', ')}`);
    return 0;
  }
  const scenario = loadScenario();
  const stress = args.command === 'stress';
  const rate = args.rate ?? (stress ? STRESS_RATE_FACTOR * scenario.rate : scenario.rate);
  if (stress && !args.repsGiven) args.reps = STRESS_REPS;
  const deploys = args.deploys ?? scenario.phases.deploys;
  const arms = armsFor(args);
  for (const arm of arms) {
    const manifest = join(REPO_ROOT, 'k8s/rendered', `${arm.name}.yaml`);
    if (args.target === 'local' && !existsSync(manifest)) throw new LabError('LAB_UNKNOWN_ARM', `arm ${arm.name} has no rendered manifest at ${manifest} (run make render)`);
  }
  const startedAt = Date.now();
  const command = `${invokedAs} ${argv.join(' ')}`;
  // The kind target (and with it the Kubernetes client, ~800 files) loads only for --target kind: a local
  // run, and every dry run of one, would pay ~0.7 CPU-s for it.
  const kind = args.target === 'kind' ? await import('../targets/kind/run.js') : undefined;
  // kind: k6's deploy phase gives every rollout its whole budget (60 s), so a run lasts ~4 min, not ~1.5
  const perRunMs = kind ? kind.kindPlannedRunMs(scenario, deploys) : plannedRunMs(scenario, deploys);
  say(`${command}: ${arms.length} arm(s) × ${args.reps} rep(s) on ${args.target} (L7 ${args.l7}, client ${args.client}) at ${rate} req/s, ${deploys} deploys each; `
    + `planned ~${Math.round((arms.length * args.reps * perRunMs) / 60_000 * 10) / 10} min (deploy length estimated)`);
  if (kind) {
    // before anything is created: Ctrl-C must delete the k6 Job, not leave it loading the cluster
    if (!args.dryRun) installSignalTeardown(say);
    const summaries = await runKindTarget(kind.runKind, args, arms, resultsDir, rate, deploys, command);
    if (!args.dryRun) regenerateReport(resultsDir, say);
    return summaries.length || args.dryRun ? 0 : 1;
  }
  if (args.dryRun) {
    for (let rep = 1; rep <= args.reps; rep++) for (const arm of arms) say(`  would run ${arm.name} rep ${rep}: k8s/rendered/${arm.name}.yaml`);
    return 0;
  }

  installSignalTeardown(say);
  const summaries = await runLocalArms({ args, arms, resultsDir, rate, deploys, scenario, command, perRunMs });
  const r = regenerateReport(resultsDir, say);
  const table = join(resultsDir, `${tableFor(args.command)}.md`);
  if (existsSync(table)) process.stdout.write(readFileSync(table, 'utf8'));
  say(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s; ${r.written.length} report files regenerated under ${resultsDir}`);
  if (arms.includes(AFTER)) {
    const bad = summaries.filter((s) => s.arm === AFTER.name && (failures(s.totalCounts) > 0 || s.jobs.lost > 0 || s.jobs.duplicated > 0));
    if (bad.length) say(`NOTE: ${bad.length} after run(s) had failed requests or lost/duplicated jobs; see the table above`);
  }
  return 0;
}
