import { parseArgs } from 'node:util';
import { LabError, isLabError } from '../../../common/errors.js';
import { loadScenario } from '../../../loadtest/scenario.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import { runKind } from './run.js';

// Stand-alone entry of the kind target (the lab CLI dispatches `--target kind` to runKind too):
//   node dist/lab/targets/kind/main.js <arm> [--dry-run] [--reps N] [--rate R] [--deploys N] [--context CTX] [--run-dir DIR]
// Prints each RunSummary as one JSON line; a dry run prints the plan and needs no cluster.

function num(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new LabError('LAB_BAD_OPTION', `${name}="${v}" is not a number`);
  return n;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      reps: { type: 'string' },
      rate: { type: 'string' },
      deploys: { type: 'string' },
      context: { type: 'string' },
      'run-dir': { type: 'string' },
    },
  });
  const arm = positionals[0];
  if (!arm || positionals.length > 1) throw new LabError('LAB_BAD_OPTION', `expected exactly one arm, got ${JSON.stringify(positionals)}`);
  const scenario = loadScenario();
  // before anything is created: Ctrl-C deletes the k6 Job (lab/engine/teardown.ts)
  if (!values['dry-run']) installSignalTeardown();
  const summaries = await runKind({
    arm,
    reps: num(values.reps, '--reps', 1),
    rate: num(values.rate, '--rate', scenario.rate),
    deploys: num(values.deploys, '--deploys', scenario.phases.deploys),
    dryRun: values['dry-run'] ?? false,
    ...(values.context ? { context: values.context } : {}),
    ...(values['run-dir'] ? { runDir: values['run-dir'] } : {}),
  });
  for (const s of summaries) process.stdout.write(`${JSON.stringify(s)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${isLabError(err) ? err.message : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(isLabError(err) && (err.code === 'LAB_BAD_OPTION' || err.code === 'LAB_UNKNOWN_ARM' || err.code === 'LAB_K6_TOO_BIG') ? 2 : 1);
});
