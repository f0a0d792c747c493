import { LabError } from '../../../common/errors.js';
import { parseOptions, usage } from '../../engine/args.js';

// Command line of `npm run lab -- reconnect`, declared for the lab's one parser (lab/engine/args.ts);
// accepts --target local and --reps 1 like every lab command.

export const VARIANTS = ['https', 'http', 'https-backoff', 'http-backoff'] as const;
export type Variant = (typeof VARIANTS)[number];

export const CLIENTS = { min: 100, max: 10_000, default: 2000 } as const;
export const PACE_MS = { min: 1000, max: 60_000, default: 10_000 } as const;
/** The jitter window must fit in the draining pod's shutdown budget; main.ts checks the upper bound against the manifest. */
export const JITTER_MS = { min: 1, max: 60_000 } as const;

export interface ReconnectArgs {
  clients: number;
  /** per-client interval between two requests (closed model: never two in flight on one client) */
  paceMs: number;
  variant: Variant;
  /** fixed jitter window for the jittered arm; default: sized from the measured accept rate */
  jitterMs?: number;
  resultsDir?: string;
  help: boolean;
}

export const RECONNECT_OPTIONS = {
  clients: { type: 'int', min: CLIENTS.min, max: CLIENTS.max, default: CLIENTS.default, help: 'persistent keep-alive clients' },
  'pace-ms': { type: 'int', min: PACE_MS.min, max: PACE_MS.max, default: PACE_MS.default, arg: 'P', help: 'each client sends GET /fast every P ms (total rate = N*1000/P per s)' },
  // a string checked below, so an unknown variant gets its own code (LAB_UNKNOWN_VARIANT)
  variant: { type: 'string', default: 'https', arg: VARIANTS.join('|'), help: 'https: every reconnect is a full TLS handshake; -backoff: clients wait a full-jitter exponential backoff before reconnecting' },
  'jitter-ms': { type: 'int', min: JITTER_MS.min, max: JITTER_MS.max, arg: 'W', help: "jitter window of the jittered arm (default: sized from the measured accept rate); at most the manifest's SHUTDOWN_DEADLINE_MS - DRAIN_DELAY_MS - 1000" },
  'results-dir': { type: 'string', arg: 'DIR', help: 'default results/ (writes DIR/reconnect/<variant>/, or <variant>-<N>-clients/ for a non-default --clients)' },
  target: { type: 'choice', choices: ['local'], default: 'local', help: 'the only target this experiment runs on (docs/kind.md says what kind lacks)' },
  reps: { type: 'int', min: 1, max: 1, default: 1, help: 'one repetition per arm' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export const RECONNECT_USAGE = usage('usage: npm run lab -- reconnect [options]', RECONNECT_OPTIONS);

export function parseReconnectArgs(argv: readonly string[]): ReconnectArgs {
  const v = parseOptions(RECONNECT_OPTIONS, argv).values;
  if (!VARIANTS.includes(v.variant as Variant)) throw new LabError('LAB_UNKNOWN_VARIANT', `--variant "${v.variant}"; valid: ${VARIANTS.join(', ')}`);
  const out: ReconnectArgs = { clients: v.clients, paceMs: v.paceMs, variant: v.variant as Variant, help: v.help };
  if (v.jitterMs !== undefined) out.jitterMs = v.jitterMs;
  if (v.resultsDir !== undefined) out.resultsDir = v.resultsDir;
  return out;
}
