import { parseOptions, usage, type OptionValues } from '../../engine/args.js';

// `npm run lab -- keepalive`: the keep-alive race measured, not staged. Two arms (after-keepalive-5s:
// Node's old 5 s; after: 72 s, above the proxy's 60 s) at two rates, one batch.

export const KEEPALIVE_OPTIONS = {
  rate: { type: 'int', min: 1, max: 5000, arg: 'R', help: 'the default-rate runs: arrivals per second (default: loadtest/scenario.json)' },
  'low-rate': { type: 'int', min: 1, max: 5000, default: 1, arg: 'R', help: 'the low-rate runs: arrivals per second (few connections per pod, long idle gaps)' },
  'l4-rate-per-min': { type: 'int', min: 1, max: 600, arg: 'N', help: 'adds a pair of runs at N/60 arrivals/s: the L4 client reuses one kept-alive connection every 120/N s, so at 20 (every 6 s) it idles as long as the 5 s arm keeps it (Node closes 1 s after the announced timeout)' },
  deploys: { type: 'int', min: 1, max: 20, default: 1, help: 'rolling restarts per run' },
  'baseline-seconds': { type: 'int', min: 6, max: 600, default: 20, arg: 'S', help: 'steady state before the first deploy (the race needs idle gaps of about the app\'s close)' },
  'results-dir': { type: 'string', arg: 'DIR', help: 'where results go (default results/); the table goes to <DIR>/keepalive/' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export type KeepAliveOptions = OptionValues<typeof KEEPALIVE_OPTIONS>;

export const KEEPALIVE_USAGE = usage('usage: npm run lab -- keepalive [options]', KEEPALIVE_OPTIONS);

export function parseKeepAliveArgs(argv: readonly string[]): KeepAliveOptions {
  return parseOptions(KEEPALIVE_OPTIONS, argv).values;
}
