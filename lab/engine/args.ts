import { LabError } from '../../common/errors.js';
import { ARMS, findArm } from './arms.js';

// Command line of `npm run lab -- …`. Hand-parsed (node:util parseArgs cannot check integer ranges
// or list the valid values in its errors, which is what a user needs here).

export const COMMANDS = ['ladder', 'leave-one-out', 'report', 'kill-mid-job', 'reload-vs-restart', 'stress', 'guardian'] as const;
export const TARGETS = ['local', 'kind'] as const;
export type Target = (typeof TARGETS)[number];

export interface LabArgs {
  command: string; // an arm name or one of COMMANDS
  /** every arm named on the command line, in order (`before after` is one invocation, one batch) */
  arms: string[];
  target: Target;
  reps: number;
  /** --reps was given (stress defaults to 5 otherwise) */
  repsGiven: boolean;
  rate?: number;
  deploys?: number;
  propagationDelayMs?: number;
  dryRun: boolean;
  resultsDir?: string;
  help: boolean;
}

const NUMERIC = {
  '--reps': { key: 'reps', min: 1, max: 20 },
  '--rate': { key: 'rate', min: 1, max: 5000 },
  '--deploys': { key: 'deploys', min: 1, max: 20 },
  '--propagation-delay-ms': { key: 'propagationDelayMs', min: 0, max: 60_000 },
} as const;
export const OPTIONS = ['--target', ...Object.keys(NUMERIC), '--results-dir', '--dry-run', '--help'] as const;

export const USAGE = `usage: npm run lab -- <command> [options]   (or several arms: npm run lab -- before after)
commands: ${ARMS.map((a) => a.name).join(' | ')} | ${COMMANDS.join(' | ')}
  stress                       the after arm at 4× the scenario's rate, 5 reps unless --reps/--rate say otherwise
options:
  --target local|kind          where to run (default local)
  --reps N                     repetitions per arm, 1..20 (default 1)
  --rate R                     arrivals per second, 1..5000 (default: loadtest/scenario.json)
  --deploys N                  rolling restarts per run, 1..20 (default: scenario.json)
  --propagation-delay-ms D     local target: endpoint propagation delay, 0..60000 (default: the local target's)
  --results-dir DIR            where results go (default results/)
  --dry-run                    print the plan, run nothing`;

function intOption(name: keyof typeof NUMERIC, raw: string | undefined): number {
  const { min, max } = NUMERIC[name];
  if (raw === undefined || !/^\d+$/.test(raw)) throw new LabError('LAB_BAD_OPTION', `${name} needs an integer ${min}..${max}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`);
  const n = Number(raw);
  if (n < min || n > max) throw new LabError('LAB_BAD_OPTION', `${name} ${n} is out of range ${min}..${max}`);
  return n;
}

/** Throws LabError LAB_UNKNOWN_ARM / LAB_BAD_OPTION naming the problem and the valid values. */
export function parseLabArgs(argv: readonly string[]): LabArgs {
  const out: LabArgs = { command: '', arms: [], target: 'local', reps: 1, repsGiven: false, dryRun: false, help: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const value = () => inline ?? argv[++i];
    if (!a.startsWith('-')) { positional.push(a); continue; }
    if (name in NUMERIC) {
      const n = intOption(name as keyof typeof NUMERIC, value());
      (out as any)[NUMERIC[name as keyof typeof NUMERIC].key] = n;
      if (name === '--reps') out.repsGiven = true;
    } else if (name === '--target') {
      const t = value();
      if (!TARGETS.includes(t as Target)) throw new LabError('LAB_BAD_OPTION', `--target must be one of ${TARGETS.join(', ')}, got ${t === undefined ? 'nothing' : `"${t}"`}`);
      out.target = t as Target;
    } else if (name === '--results-dir') {
      const d = value();
      if (!d) throw new LabError('LAB_BAD_OPTION', '--results-dir needs a directory');
      out.resultsDir = d;
    } else if (name === '--dry-run' && inline === undefined) out.dryRun = true;
    else if ((name === '--help' || name === '-h') && inline === undefined) out.help = true;
    else throw new LabError('LAB_BAD_OPTION', `unknown option "${a}"; valid options are ${OPTIONS.join(', ')}`);
  }
  if (out.help) return out;
  if (positional.length === 0) {
    throw new LabError('LAB_UNKNOWN_ARM', `expected a command, got none; valid: ${ARMS.map((x) => x.name).join(', ')}, ${COMMANDS.join(', ')}`);
  }
  if (positional.length > 1) return severalArms(out, positional);
  const cmd = positional[0]!;
  if (!(COMMANDS as readonly string[]).includes(cmd)) {
    try {
      findArm(cmd);
    } catch (e) {
      throw new LabError('LAB_UNKNOWN_ARM', `"${cmd}"; valid arms are ${ARMS.map((x) => x.name).join(', ')}; other commands: ${COMMANDS.join(', ')}`, { cause: e });
    }
  }
  out.command = cmd;
  out.arms = (COMMANDS as readonly string[]).includes(cmd) ? [] : [cmd];
  return out;
}

/** `before after`: several arms in one invocation (one batch); only arm names combine, each once. */
function severalArms(out: LabArgs, names: string[]): LabArgs {
  for (const n of names) {
    if ((COMMANDS as readonly string[]).includes(n)) {
      throw new LabError('LAB_UNKNOWN_ARM', `"${n}" cannot be combined with other commands (${names.map((p) => `"${p}"`).join(' ')}); only arm names combine: ${ARMS.map((x) => x.name).join(', ')}`);
    }
    try {
      findArm(n);
    } catch (e) {
      throw new LabError('LAB_UNKNOWN_ARM', `"${n}"; valid arms are ${ARMS.map((x) => x.name).join(', ')}; other commands: ${COMMANDS.join(', ')}`, { cause: e });
    }
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new LabError('LAB_BAD_OPTION', `arm "${dup}" is named twice; name each arm once (use --reps for repetitions)`);
  return { ...out, command: names[0]!, arms: [...names] };
}
