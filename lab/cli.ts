#!/usr/bin/env node
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isLabError, LabError } from '../common/errors.js';
import { labUsage, parseLabArgs, shownUsage } from './engine/args.js';
import { inCallerHome } from './engine/home.js';
import { labVersion as version } from './engine/meta.js';
import { teardownAll } from './engine/teardown.js';

// The one entry of every command: `npm run lab -- <command>` in the repository, `deploy-loss-lab
// <command>` through the package's bin (lab/bin.ts). A command's modules load only when it runs —
// doctor in a pre-commit hook must not pay for the local target, the report or the Kubernetes
// client — so each entry below is an import() of a literal path (scripts/import-graph.ts follows
// literal specifiers as edges and refuses computed ones).
// Exit codes: 0 done; 1 a run failed / findings; 2 bad command line (nothing started); 3 inconclusive.

type Run = (argv: string[]) => Promise<number>;
interface Command {
  load: () => Promise<Run>;
  /** one line for `deploy-loss-lab --help` */
  about: string;
  /** runs outside the repository (through the bin) */
  bin: boolean;
}

/** Commands with their own options: each takes the argv after its name; the number it returns is the exit code. */
export const COMMANDS: Record<string, Command> = {
  doctor: { load: async () => (await import('./tools/doctor/main.js')).doctor, bin: true, about: 'static check of Kubernetes manifests (and a Dockerfile) for deploy-time loss' },
  check: { load: async () => (await import('./tools/check/main.js')).check, bin: true, about: 'measure the requests your own Deployment loses while it rolls (locally, or on a cluster)' },
  tune: { load: async () => (await import('./experiments/tune/main.js')).tune, bin: true, about: "size preStop / drain deadline / grace period from the lab's measured deregistration delay" },
  triage: { load: async () => (await import('./tools/triage/main.js')).triageMain, bin: true, about: 'the spike-triage table from stored runs of before and leave-one-out' },
  'kill-mid-job': { load: async () => (await import('./experiments/kill-mid-job/main.js')).killMidJob, bin: false, about: '' },
  'reload-vs-restart': { load: async () => (await import('./experiments/reload-vs-restart/main.js')).reloadVsRestart, bin: false, about: '' },
  reconnect: { load: async () => (await import('./experiments/reconnect/main.js')).reconnect, bin: false, about: '' },
  'long-lived': { load: async () => (await import('./experiments/long-lived/main.js')).longLived, bin: false, about: '' },
  guardian: { load: async () => (await import('./experiments/guardian/main.js')).guardian, bin: false, about: '' },
  keepalive: { load: async () => (await import('./experiments/keepalive/main.js')).keepalive, bin: false, about: '' },
  'route-retry': { load: async () => (await import('./experiments/route-retry/main.js')).routeRetry, bin: false, about: '' },
  clients: { load: async () => (await import('./experiments/clients/main.js')).clients, bin: false, about: '' },
  'idle-close': { load: async () => (await import('./experiments/idle-close/main.js')).idleClose, bin: false, about: '' },
};
const NAMES = Object.keys(COMMANDS);
const USAGE = labUsage(NAMES);

const say = (line: string) => process.stderr.write(`${line}\n`);

function binUsage(): string {
  const tools = NAMES.filter((n) => COMMANDS[n]!.bin);
  const width = Math.max(...tools.map((n) => n.length)) + 2;
  return `usage: deploy-loss-lab <command> [options]      (deploy-loss-lab <command> --help for its options)
commands:
${tools.map((n) => `  ${n.padEnd(width)}${COMMANDS[n]!.about}`).join('\n')}
  ${'<arm>…'.padEnd(width)}the lab's own service rolled under load, e.g. before after; ladder, leave-one-out, stress, report
                  (local target; deploy-loss-lab before --help for the options)
Paths are relative to this directory; results go to ./deploy-loss-results/ unless --out / --results-dir says.
The lab's other experiments (${NAMES.filter((n) => !COMMANDS[n]!.bin).join(', ')}) and the kind target run from a clone of its repository.
exit: 0 clean/pass, 1 findings/fail, 2 bad input (nothing started), 3 inconclusive
version ${version()}`;
}

function outsideRepo(what: string): never {
  throw new LabError('LAB_BAD_OPTION', `${what} runs from a clone of the lab's repository (npm run lab -- …), not through the installed package: it reads the lab's own sources`);
}

async function runCommand(name: string, argv: string[]): Promise<number> {
  const c = COMMANDS[name]!;
  if (!c.bin && inCallerHome()) outsideRepo(name);
  return (await c.load())(argv);
}

export async function main(argv: string[]): Promise<number> {
  const bin = inCallerHome();
  if (argv[0] === '--version' || argv[0] === '-V') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (bin && (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help')) {
    process.stdout.write(`${binUsage()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] && COMMANDS[argv[0]]) return runCommand(argv[0], argv.slice(1));
  const args = parseLabArgs(argv, NAMES);
  // a command named after the options: hand it the rest of the command line
  if (COMMANDS[args.command]) return runCommand(args.command, argv.filter((a, i) => i !== argv.indexOf(args.command)));
  if (args.help) {
    process.stdout.write(`${shownUsage(USAGE)}\n`);
    return 0;
  }
  // the kind target builds the lab's image from its sources, which the package does not hold
  if (bin && args.target === 'kind') outsideRepo('--target kind');
  const { runArms } = await import('./engine/run-arms.js');
  return runArms(args, argv, bin ? 'deploy-loss-lab' : 'npm run lab --');
}

/** Runs main and exits with its code; a LabError about the command line is exit 2 with the usage. */
export function start(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    async (err) => {
      await teardownAll();
      if (isLabError(err, 'LAB_UNKNOWN_ARM') || isLabError(err, 'LAB_BAD_OPTION')) {
        say(`${err.message}\n\n${inCallerHome() ? binUsage() : USAGE}`);
        process.exit(2);
      }
      say(isLabError(err) ? err.message : `lab failed: ${(err as Error)?.stack ?? err}`);
      // a kind plan k6 cannot carry is refused before anything is built (lab/targets/kind/k6-sizing.ts)
      process.exit(isLabError(err, 'LAB_K6_TOO_BIG') ? 2 : 1);
    },
  );
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) start(process.argv.slice(2));
