import { parseOptions, usage } from '../../engine/args.js';

// Command line of `npm run lab -- reload-vs-restart`. Accepts the flags the Makefile passes to
// every lab command (--target, --rate, --deploys) so `make reload-vs-restart` works unchanged.

export interface ReloadArgs {
  rate?: number;
  /** config changes per method (the Makefile's --deploys) */
  changes: number;
  /** shortest "during the change" window per change, so a 100 ms reload still has a sample */
  minWindowMs: number;
  propagationDelayMs?: number;
  resultsDir?: string;
  tls: boolean;
  help: boolean;
}

export const RELOAD_OPTIONS = {
  rate: { type: 'int', min: 1, max: 5000, arg: 'R', help: 'arrivals per second (default: loadtest/scenario.json)' },
  changes: { type: 'int', min: 1, max: 10, help: 'config changes per method (default 3)' },
  deploys: { type: 'int', min: 1, max: 10, help: 'the same as --changes (what the Makefile passes)' },
  'min-window-ms': { type: 'int', min: 1000, max: 60_000, default: 5000, arg: 'W', help: 'shortest measured window per change' },
  'propagation-delay-ms': { type: 'int', min: 0, max: 60_000, arg: 'D', help: 'local target endpoint propagation delay' },
  'results-dir': { type: 'string', arg: 'DIR', help: 'default results/ (writes DIR/reload-vs-restart/)' },
  'no-tls': { type: 'flag', help: 'skip the certificate rotation part' },
  target: { type: 'choice', choices: ['local'], default: 'local', help: 'the only target this experiment runs on' },
  reps: { type: 'int', min: 1, max: 1, default: 1, help: 'one repetition per method' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export const RELOAD_USAGE = usage('usage: npm run lab -- reload-vs-restart [options]', RELOAD_OPTIONS);

export function parseReloadArgs(argv: readonly string[]): ReloadArgs {
  const v = parseOptions(RELOAD_OPTIONS, argv).values;
  const out: ReloadArgs = { changes: v.changes ?? v.deploys ?? 3, minWindowMs: v.minWindowMs, tls: !v.noTls, help: v.help };
  if (v.rate !== undefined) out.rate = v.rate;
  if (v.propagationDelayMs !== undefined) out.propagationDelayMs = v.propagationDelayMs;
  if (v.resultsDir !== undefined) out.resultsDir = v.resultsDir;
  return out;
}
