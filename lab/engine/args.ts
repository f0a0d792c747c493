import { parseArgs } from 'node:util';
import { LabError, type LabErrorCode } from '../../common/errors.js';
import { ARMS, findArm } from './arms.js';
import { DEFAULT_L7, L7_PROFILES } from '../targets/local/l7-profile.js';
import { inCallerHome } from './home.js';
import { CLIENTS, DEFAULT_CLIENT } from '../../loadtest/client-semantics.js';

// The one argument parser of every lab command. A command declares its options as data
// (name → type, range or choices, default, help); node's util.parseArgs splits the argv into tokens
// (non-strict, so that every refusal below is ours: it names the option and lists the valid values
// with a stable code instead of node's ERR_PARSE_ARGS_* wording), and this file turns the tokens into
// typed values with one range check. Usage text is generated from the same spec.
//
// A new experiment declares:
//   export const MY_OPTIONS = { rate: { type: 'int', min: 1, max: 5000, default: 50, help: 'arrivals per second' } } as const;
//   const o = parseOptions(MY_OPTIONS, argv);          // o.rate: number; LabError LAB_BAD_OPTION on bad input
//   usage('npm run lab -- my-experiment', MY_OPTIONS)  // for --help and for the error path (exit 2)

export interface IntOption { readonly type: 'int'; readonly min: number; readonly max: number; readonly default?: number; readonly help: string; readonly arg?: string }
export interface ChoiceOption { readonly type: 'choice'; readonly choices: readonly string[]; readonly default?: string; readonly help: string }
/** A comma-separated list whose every entry must be one of `choices`. */
export interface ListOption { readonly type: 'list'; readonly choices: readonly string[]; readonly default?: readonly string[]; readonly help: string }
export interface StringOption { readonly type: 'string'; readonly default?: string; readonly help: string; readonly arg?: string }
export interface FlagOption { readonly type: 'flag'; readonly help: string; readonly short?: string }
/** A string option that may be given several times (`--route A --route B`): every value, in order. */
export interface RepeatOption { readonly type: 'repeat'; readonly help: string; readonly arg?: string }
export type OptionSpec = IntOption | ChoiceOption | ListOption | StringOption | FlagOption | RepeatOption;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type CamelCase<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<CamelCase<B>>}` : S;
type Defaulted<O, T> = O extends { readonly default: unknown } ? T : T | undefined;
type ValueOf<O> =
  O extends FlagOption ? boolean
  : O extends RepeatOption ? string[]
  : O extends IntOption ? Defaulted<O, number>
  : O extends ChoiceOption ? Defaulted<O, O['choices'][number]>
  : O extends ListOption ? Defaulted<O, Array<O['choices'][number]>>
  : O extends StringOption ? Defaulted<O, string>
  : never;
/** `--propagation-delay-ms` → `propagationDelayMs`, typed by the option's kind and default. */
export type OptionValues<S extends OptionSpecs> = { -readonly [K in keyof S & string as CamelCase<K>]: ValueOf<S[K]> };

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const shown = (raw: string | undefined) => (raw === undefined ? 'nothing' : `"${raw}"`);

/** The one range check: an integer within [min, max] (for values that arrive as numbers, e.g. runKind's options). */
export function checkRange(name: string, n: number, min: number, max: number): number {
  if (!Number.isInteger(n)) throw new LabError('LAB_BAD_OPTION', `${name} needs an integer ${min}..${max}, got ${n}`);
  if (n < min || n > max) throw new LabError('LAB_BAD_OPTION', `${name} ${n} is out of range ${min}..${max}`);
  return n;
}

/** A command-line integer: decimal digits only (no sign, exponent or fraction), then the range check. */
export function checkInt(name: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined || !/^\d+$/.test(raw)) throw new LabError('LAB_BAD_OPTION', `${name} needs an integer ${min}..${max}, got ${shown(raw)}`);
  return checkRange(name, Number(raw), min, max);
}

function convert(name: string, spec: Exclude<OptionSpec, FlagOption>, raw: string | undefined): unknown {
  const flag = `--${name}`;
  if (spec.type === 'int') return checkInt(flag, raw, spec.min, spec.max);
  if (raw === undefined || raw === '') throw new LabError('LAB_BAD_OPTION', `${flag} needs a value${spec.type === 'string' || spec.type === 'repeat' ? '' : ` (one of ${spec.choices.join(', ')})`}`);
  if (spec.type === 'string' || spec.type === 'repeat') return raw;
  if (spec.type === 'choice') {
    if (!spec.choices.includes(raw)) throw new LabError('LAB_BAD_OPTION', `${flag} must be one of ${spec.choices.join(', ')}, got ${shown(raw)}`);
    return raw;
  }
  return raw.split(',').map((item) => {
    const v = item.trim();
    if (!spec.choices.includes(v)) throw new LabError('LAB_BAD_OPTION', `${flag} contains "${v}"; valid values are ${spec.choices.join(', ')}`);
    return v;
  });
}

export interface Parsed<S extends OptionSpecs> { values: OptionValues<S>; positionals: string[] }

/** Parses argv against the spec. Throws LabError LAB_BAD_OPTION naming the option and the valid values. */
export function parseOptions<const S extends OptionSpecs>(specs: S, argv: readonly string[], opts: { positionals?: boolean } = {}): Parsed<S> {
  const nodeOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    nodeOptions[name] = spec.type === 'flag' ? { type: 'boolean', ...(spec.short ? { short: spec.short } : {}) } : { type: 'string' };
  }
  const { tokens } = parseArgs({ args: [...argv], options: nodeOptions, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    values[camel(name)] = spec.type === 'flag' ? false : spec.type === 'repeat' ? [] : spec.default === undefined ? undefined : structuredClone(spec.default);
  }
  const positionals: string[] = [];
  const valid = () => Object.keys(specs).map((n) => `--${n}`).join(', ');
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      if (!opts.positionals) throw new LabError('LAB_BAD_OPTION', `unexpected argument "${t.value}"; valid options are ${valid()}`);
      positionals.push(t.value);
      continue;
    }
    const spec = specs[t.name];
    if (!spec) throw new LabError('LAB_BAD_OPTION', `unknown option "${argv[t.index]}"; valid options are ${valid()}`);
    if (spec.type === 'flag') {
      if (t.inlineValue) throw new LabError('LAB_BAD_OPTION', `--${t.name} takes no value, got "${t.value}"`);
      values[camel(t.name)] = true;
    } else if (spec.type === 'repeat') {
      (values[camel(t.name)] as string[]).push(convert(t.name, spec, t.value) as string);
    } else {
      values[camel(t.name)] = convert(t.name, spec, t.value);
    }
  }
  return { values: values as OptionValues<S>, positionals };
}

function describe(name: string, spec: OptionSpec): [string, string] {
  const flag = `--${name}${spec.type === 'flag' && spec.short ? ` | -${spec.short}` : ''}`;
  if (spec.type === 'flag') return [flag, spec.help];
  if (spec.type === 'int') return [`${flag} ${spec.arg ?? 'N'}`, `${spec.min}..${spec.max}: ${spec.help}${spec.default === undefined ? '' : ` (default ${spec.default})`}`];
  if (spec.type === 'string') return [`${flag} ${spec.arg ?? 'VALUE'}`, `${spec.help}${spec.default === undefined ? '' : ` (default ${spec.default})`}`];
  if (spec.type === 'repeat') return [`${flag} ${spec.arg ?? 'VALUE'}`, `${spec.help} (repeatable)`];
  const def = spec.default === undefined ? '' : ` (default ${[spec.default].flat().join(',')})`;
  return [`${flag} ${spec.choices.join(spec.type === 'list' ? ',' : '|')}`, `${spec.help}${def}`];
}

/** Usage text generated from the spec; `head` is the first line(s) (command and positionals). */
/** Errors about what was typed, where the usage helps (not e.g. a file-descriptor limit or a missing manifest). */
const OPTION_ERRORS: ReadonlySet<LabErrorCode> = new Set(['LAB_BAD_OPTION', 'LAB_UNKNOWN_ARM', 'LAB_UNKNOWN_LEVER', 'LAB_UNKNOWN_VARIANT', 'LAB_NEEDS_READINESS', 'LAB_BAD_ROUTE']);

/**
 * The front door every experiment and tool shares: `--help`/`-h` prints the usage (exit 0); bad input
 * is a LabError, printed (with the usage when it is about the options) as exit 2, nothing started.
 * Returns what `parse` returns, or the exit code to return.
 */
export function parseOrExit<T extends object>(argv: readonly string[], usageText0: string, parse: () => T): T | number {
  const usageText = shownUsage(usageText0);
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(`${usageText}\n`); return 0; }
  try { return parse(); } catch (e) {
    if (!(e instanceof LabError)) throw e;
    process.stderr.write(`${e.message}\n${OPTION_ERRORS.has(e.code) ? `\n${usageText}\n` : ''}`);
    return 2;
  }
}

/** Usage as the user typed the command: through the package's bin, `deploy-loss-lab <command>` writing to ./deploy-loss-results/. */
export function shownUsage(text: string): string {
  return inCallerHome() ? text.replaceAll('npm run lab -- ', 'deploy-loss-lab ').replaceAll('(default results/', '(default deploy-loss-results/') : text;
}

export function usage(head: string, specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([n, s]) => describe(n, s));
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return `${head}\noptions:\n${rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`).join('\n')}`;
}

// ---- the lab CLI itself: `npm run lab -- <arm|command> [options]`

/** Commands of the engine itself; experiments with their own options are listed by lab/cli.ts (EXPERIMENTS). */
export const COMMANDS = ['ladder', 'leave-one-out', 'report', 'stress'] as const;
export const TARGETS = ['local', 'kind'] as const;
export type Target = (typeof TARGETS)[number];

export const LAB_OPTIONS = {
  target: { type: 'choice', choices: TARGETS, default: 'local', help: 'where to run' },
  reps: { type: 'int', min: 1, max: 20, default: 1, help: 'repetitions per arm' },
  rate: { type: 'int', min: 1, max: 5000, arg: 'R', help: 'arrivals per second (default: loadtest/scenario.json)' },
  deploys: { type: 'int', min: 1, max: 20, help: 'rolling restarts per run (default: scenario.json)' },
  'propagation-delay-ms': { type: 'int', min: 0, max: 60_000, arg: 'D', help: "local target: endpoint propagation delay (default: the local target's)" },
  l7: { type: 'choice', choices: L7_PROFILES, default: DEFAULT_L7, help: 'the L7 path: Ingress via ingress-nginx, or Gateway API via Envoy Gateway' },
  client: { type: 'choice', choices: CLIENTS, default: DEFAULT_CLIENT, help: "local target: whose resends the load generator makes: go (net/http's Transport, what k6 does) or node (none, as undici and http.Agent)" },
  'results-dir': { type: 'string', arg: 'DIR', help: 'where results go (default results/)' },
  'dry-run': { type: 'flag', help: 'print the plan, run nothing' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export type LabArgs = OptionValues<typeof LAB_OPTIONS> & {
  command: string /* an arm name or one of COMMANDS */;
  /** every arm named on the command line, in order (`before after` is one invocation, one batch) */
  arms: string[];
  /** --reps was given (stress defaults to 5 otherwise) */
  repsGiven: boolean;
};

/** `experiments`: the names of commands that parse their own options (each has its own --help). */
export function labUsage(experiments: readonly string[] = []): string {
  return usage(`usage: npm run lab -- <command> [options]
       npm run lab -- <arm> <arm> … [options]   (several arms, one invocation, one batch: before after)
commands: ${[...ARMS.map((a) => a.name), ...COMMANDS, ...experiments].join(' | ')}
  (stress: the after arm at 4× the scenario's rate, 5 reps unless --reps/--rate say otherwise;
  ${experiments.length ? `${experiments.join(', ')}: see <command> --help; ` : ''}arms run the protocol of lab/engine/protocol.ts)`, LAB_OPTIONS);
}

/** Throws LabError LAB_UNKNOWN_ARM / LAB_BAD_OPTION naming the problem and the valid values. */
export function parseLabArgs(argv: readonly string[], experiments: readonly string[] = []): LabArgs {
  const others = [...COMMANDS, ...experiments].join(', ');
  const { values, positionals } = parseOptions(LAB_OPTIONS, argv, { positionals: true });
  const repsGiven = argv.some((a) => a === '--reps' || a.startsWith('--reps='));
  if (values.help) return { ...values, command: '', arms: [], repsGiven };
  if (positionals.length === 0) {
    throw new LabError('LAB_UNKNOWN_ARM', `expected a command, got none; valid: ${ARMS.map((x) => x.name).join(', ')}, ${others}`);
  }
  const isCommand = (p: string) => [...COMMANDS, ...experiments].includes(p);
  for (const p of positionals) {
    if (isCommand(p)) {
      if (positionals.length > 1) throw new LabError('LAB_UNKNOWN_ARM', `"${p}" cannot be combined with other commands (${positionals.map((x) => `"${x}"`).join(' ')}); only arm names combine: ${ARMS.map((x) => x.name).join(', ')}`);
      continue;
    }
    try {
      findArm(p);
    } catch (e) {
      throw new LabError('LAB_UNKNOWN_ARM', `"${p}"; valid arms are ${ARMS.map((x) => x.name).join(', ')}; other commands: ${others}`, { cause: e });
    }
  }
  // k6 is the kind target's client and a Go program: its resends cannot be switched off
  if (values.target === 'kind' && values.client !== 'go') throw new LabError('LAB_BAD_OPTION', `--client ${values.client} cannot apply to --target kind, whose client is k6 (Go's Transport); valid there: go`);
  const dup = positionals.find((p, i) => positionals.indexOf(p) !== i);
  if (dup) throw new LabError('LAB_BAD_OPTION', `arm "${dup}" is named twice; name each arm once (use --reps for repetitions)`);
  const cmd = positionals[0]!;
  return { ...values, command: cmd, arms: isCommand(cmd) ? [] : [...positionals], repsGiven };
}
