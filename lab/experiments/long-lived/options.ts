import { LabError } from '../../../common/errors.js';
import { parseOptions, usage } from '../../engine/args.js';

// Command line of `npm run lab -- long-lived`. Accepts the flags the Makefile passes to every lab
// command (--target local, --reps 1, --deploys, --rate) so `make long-lived` works unchanged.

export const LONG_LIVED_ARMS = ['before', 'after'] as const;
export type LongLivedArm = (typeof LONG_LIVED_ARMS)[number];

export interface LongLivedArgs {
  /** how long the routing layer keeps sending new connections to a terminating pod */
  deregistrationS: number;
  deploys: number;
  arms: LongLivedArm[];
  sseClients: number;
  wsClients: number;
  /** a new upload every this many ms (0: none) */
  uploadEveryMs: number;
  uploadBytes: number;
  /** the service reads uploads at this rate (UPLOAD_BYTES_PER_S) */
  uploadBytesPerS: number;
  /** window over which a draining pod spreads its streams' reconnect signals (STREAM_DRAIN_MS) */
  drainWindowS: number;
  propagationDelayMs: number;
  resultsDir?: string;
  help: boolean;
}

/** The quick default: a scaled-down deregistration delay; the committed long run passes 600. */
export const QUICK_DEREGISTRATION_S = 20;

export const LONG_LIVED_OPTIONS = {
  'deregistration-s': { type: 'int', min: 1, max: 3600, default: QUICK_DEREGISTRATION_S, arg: 'S', help: `new connections keep reaching a terminating pod for S s (scaled-down default; the committed long run uses 600); preStop, grace and drain deadline are sized from it` },
  deploys: { type: 'int', min: 1, max: 10, default: 3, help: 'rolling restarts of the service; the next starts once the previous is complete (all new pods available), old pods drain concurrently' },
  arms: { type: 'list', choices: LONG_LIVED_ARMS, default: [...LONG_LIVED_ARMS], help: 'before (no levers) and/or after (every lever)' },
  'sse-clients': { type: 'int', min: 0, max: 1000, default: 200, help: 'EventSource clients' },
  'ws-clients': { type: 'int', min: 0, max: 200, default: 20, help: 'WebSocket clients' },
  'upload-every-ms': { type: 'int', min: 0, max: 60_000, default: 1000, arg: 'MS', help: 'start an upload every MS ms; 0 = none, else at least 100' },
  'upload-bytes': { type: 'int', min: 1024, max: 1_000_000, default: 262_144, arg: 'B', help: "bytes per upload (under ingress-nginx's 1m body limit)" },
  'upload-bytes-per-s': { type: 'int', min: 1024, max: 104_857_600, default: 131_072, arg: 'R', help: 'the service reads uploads at this rate' },
  'drain-window-s': { type: 'int', min: 1, max: 300, default: 5, arg: 'W', help: "a draining pod spreads its streams' reconnect signals over W s" },
  'propagation-delay-ms': { type: 'int', min: 0, max: 60_000, default: 1000, arg: 'D', help: 'endpoint additions reach the routing layer after D ms' },
  'results-dir': { type: 'string', arg: 'DIR', help: 'default results/ (writes DIR/long-lived/dereg-<S>s/)' },
  target: { type: 'choice', choices: ['local'], default: 'local', help: 'the only target this experiment runs on' },
  reps: { type: 'int', min: 1, max: 1, default: 1, help: 'one repetition per arm' },
  rate: { type: 'int', min: 1, max: 5000, help: "accepted for the Makefile's generic flags; this experiment's load is its clients" },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export const LONG_LIVED_USAGE = usage('usage: npm run lab -- long-lived [options]', LONG_LIVED_OPTIONS);

/** Parses argv; LAB_BAD_OPTION naming the flag and its range on anything else. Pure: starts nothing. */
export function parseLongLivedArgs(argv: readonly string[]): LongLivedArgs {
  const v = parseOptions(LONG_LIVED_OPTIONS, argv).values;
  if (v.uploadEveryMs > 0 && v.uploadEveryMs < 100) throw new LabError('LAB_BAD_OPTION', `--upload-every-ms ${v.uploadEveryMs} is out of range: 0 or 100..60000`);
  if (v.deregistrationS * 1000 < v.propagationDelayMs) {
    throw new LabError('LAB_BAD_OPTION', `--deregistration-s ${v.deregistrationS} is shorter than --propagation-delay-ms ${v.propagationDelayMs}`);
  }
  const out: LongLivedArgs = {
    deregistrationS: v.deregistrationS, deploys: v.deploys, arms: LONG_LIVED_ARMS.filter((a) => v.arms.includes(a)),
    sseClients: v.sseClients, wsClients: v.wsClients, uploadEveryMs: v.uploadEveryMs, uploadBytes: v.uploadBytes,
    uploadBytesPerS: v.uploadBytesPerS, drainWindowS: v.drainWindowS, propagationDelayMs: v.propagationDelayMs, help: v.help,
  };
  if (v.resultsDir !== undefined) out.resultsDir = v.resultsDir;
  return out;
}
