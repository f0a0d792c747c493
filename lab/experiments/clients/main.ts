import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CLIENTS } from '../../../loadtest/client-semantics.js';
import { loadScenario } from '../../../loadtest/scenario.js';
import { parseOrExit } from '../../engine/args.js';
import { findArm } from '../../engine/arms.js';
import { loadNow, machineLoad } from '../../engine/machine.js';
import { currentCommit, REPO_ROOT, stamp } from '../../engine/meta.js';
import { Progress } from '../../engine/progress.js';
import { runExperiment } from '../../engine/protocol.js';
import { plannedRunMs } from '../../engine/plan.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import { failures } from '../../report/summarize.js';
import { countClients } from './count.js';
import { CLIENTS_USAGE, parseClientsArgs } from './options.js';
import { writeClientsResults } from './report.js';
import type { ClientsRun, ClientsSummary } from './summary.js';

// `npm run lab -- clients`: before and after, each rolled once with the `go` client (resends what Go's
// Transport resends, as k6) and once with `node` (resends nothing, as undici and http.Agent), in one
// batch, repetition-major. What a client can hide is bounded by what the server leaves: the table puts
// the failures each client saw beside the raw count under them.
// Exit 0 = the batch ran; 2 = bad option.

const ARMS = ['before', 'after'] as const;
const say = (line: string) => process.stderr.write(`[clients] ${line}\n`);

export async function clients(argv: string[]): Promise<number> {
  const o = parseOrExit(argv, CLIENTS_USAGE, () => parseClientsArgs(argv));
  if (typeof o === 'number') return o;
  installSignalTeardown(say);
  const scenario = loadScenario();
  const rate = o.rate ?? scenario.rate;
  const deploys = o.deploys ?? scenario.phases.deploys;
  const date = new Date();
  const loadBefore = loadNow();
  const commit = currentCommit(); // at the start: a commit made while it runs is not its code
  const command = `npm run lab -- clients ${argv.join(' ')}`.trim();
  const batch = `${stamp(date)}-clients`;
  // the runs' own artifacts stay in scratch: they are not runs of the headline tables
  const scratch = join(REPO_ROOT, '.lab', 'clients', batch);
  const progress = new Progress();
  const runs: ClientsRun[] = [];
  const total = o.reps * ARMS.length * CLIENTS.length;
  const started = Date.now();
  try {
    for (let rep = 1; rep <= o.reps; rep++) {
      for (const arm of ARMS) {
        for (const client of CLIENTS) {
          const { summary, records } = await runExperiment({
            arm: findArm(arm), rep, reps: o.reps, rate, deploys, scenario, client, resultsDir: join(scratch, 'results'), workDir: join(scratch, 'work'),
            command, batch, progress, invocationStartedAt: started,
            etaAt: () => started + (runs.length ? (Date.now() - started) / runs.length : plannedRunMs(scenario, deploys)) * total,
          });
          const c = countClients(records, summary.window);
          runs.push({ arm, client, rep, ...c, windowMs: summary.window.end - summary.window.start, sigkills: summary.sigkills });
          progress.log(`${arm} with the ${client} client: ${failures(c.window.seen)} failed in the deploy window as it saw them, ${failures(c.window.raw)} raw, ${c.window.resent} resent (${c.window.resentOk} answered on the resend)`);
        }
      }
    }
  } finally {
    progress.stop();
  }
  const summary: ClientsSummary = {
    experiment: 'clients', command, target: 'local', commit, date: date.toISOString(),
    params: { arms: [...ARMS], clients: [...CLIENTS], reps: o.reps, rate, deploys, l7: 'ingress-nginx', runArtifacts: relative(REPO_ROOT, scratch), machine: machineLoad(loadBefore) },
    runs,
  };
  const outDir = join(resolve(o.resultsDir ?? join(REPO_ROOT, 'results')), 'clients');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(writeClientsResults(outDir, summary));
  say(`written to ${relative(process.cwd(), outDir) || outDir}/{summary.json,table.md,table.csv,chart.svg}`);
  return 0;
}
