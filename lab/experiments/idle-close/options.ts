import { parseOptions, usage, type OptionValues } from '../../engine/args.js';
import { CLIENTS } from '../../../loadtest/client-semantics.js';

// `npm run lab -- idle-close`: issue 24's "server's half". The arms `after` (a draining pod destroys its
// idle keep-alive sockets over CLOSE_JITTER_MS as its listener closes) and `after-idle-window` (it keeps
// them open, answers the next request on one with Connection: close, closes one still idle after the
// client's idle window, capped 1 s before the deadline), repetition-major, in one batch.

export const IDLE_CLOSE_OPTIONS = {
  rate: { type: 'int', min: 1, max: 5000, default: 800, arg: 'R', help: 'arrivals per second (the race needs many kept-alive connections in use as pods drain)' },
  deploys: { type: 'int', min: 1, max: 20, default: 3, help: 'rolling restarts per run' },
  reps: { type: 'int', min: 1, max: 10, default: 1, help: 'runs per arm, repetition-major' },
  client: { type: 'choice', choices: [...CLIENTS], default: 'node', help: 'node: no resends, so the raw count is what the client sees; go: k6\'s resends (loadtest/client-semantics.ts)' },
  'results-dir': { type: 'string', arg: 'DIR', help: 'where results go (default results/); the table goes to <DIR>/idle-close/' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export type IdleCloseOptions = OptionValues<typeof IDLE_CLOSE_OPTIONS>;

export const IDLE_CLOSE_USAGE = usage('usage: npm run lab -- idle-close [options]', IDLE_CLOSE_OPTIONS);

export function parseIdleCloseArgs(argv: readonly string[]): IdleCloseOptions {
  return parseOptions(IDLE_CLOSE_OPTIONS, argv).values;
}
