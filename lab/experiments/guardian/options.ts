import { LabError } from '../../../common/errors.js';
import { parseOptions, usage, type OptionValues } from '../../engine/args.js';

// Command line of `npm run lab -- guardian` (the lab's one option parser, lab/engine/args.ts).

/** The after arm's grace period is 10 s: a request at least this long can only end by the guardian or SIGKILL. */
export const SLOW_MIN_MS = 10_000;
/** The service's default SLOW_MAX_MS. */
export const SLOW_MAX_MS = 30_000;

export const GUARDIAN_OPTIONS = {
  'slow-ms': { type: 'int', min: SLOW_MIN_MS, max: SLOW_MAX_MS, default: 20_000, arg: 'MS', help: 'duration each held GET /slow asks for (shorter ones finish inside the grace period)' },
  'results-dir': { type: 'string', arg: 'DIR', help: 'default results/ (writes DIR/guardian/)' },
  target: { type: 'choice', choices: ['local'], default: 'local', help: 'the only target this experiment runs on' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export type GuardianOptions = OptionValues<typeof GUARDIAN_OPTIONS>;

export const GUARDIAN_USAGE = usage('usage: npm run lab -- guardian [options]', GUARDIAN_OPTIONS);

/** Throws LabError LAB_BAD_OPTION naming the option and the valid values. */
export function parseGuardianArgs(argv: readonly string[]): GuardianOptions {
  const { values } = parseOptions(GUARDIAN_OPTIONS, argv);
  if (values.resultsDir === '') throw new LabError('LAB_BAD_OPTION', '--results-dir needs a directory');
  return values;
}
