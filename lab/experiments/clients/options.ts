import { parseOptions, usage, type OptionValues } from '../../engine/args.js';

// Command line of `npm run lab -- clients` (the lab's one option parser, lab/engine/args.ts).

export const CLIENTS_OPTIONS = {
  reps: { type: 'int', min: 1, max: 10, default: 1, arg: 'N', help: 'repetitions of each arm × client (repetition-major)' },
  rate: { type: 'int', min: 1, max: 5000, arg: 'R', help: 'arrivals per second (default: loadtest/scenario.json)' },
  deploys: { type: 'int', min: 1, max: 20, arg: 'N', help: 'rolling restarts per run (default: loadtest/scenario.json)' },
  'results-dir': { type: 'string', arg: 'DIR', help: 'default results/ (writes DIR/clients/)' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export type ClientsOptions = OptionValues<typeof CLIENTS_OPTIONS>;

export const CLIENTS_USAGE = usage('usage: npm run lab -- clients [options]', CLIENTS_OPTIONS);

export function parseClientsArgs(argv: readonly string[]): ClientsOptions {
  return parseOptions(CLIENTS_OPTIONS, argv).values;
}
