import { LabError } from '../../../common/errors.js';

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

export const LONG_LIVED_USAGE = `usage: npm run lab -- long-lived [options]
  --deregistration-s S      new connections keep reaching a terminating pod for S s, 1..3600 (default ${QUICK_DEREGISTRATION_S}, scaled down;
                            the committed long run uses 600); preStop, grace and drain deadline are sized from it
  --deploys N               rolling restarts of the service, 1..10 (default 3); the next starts once the
                            previous is complete (all new pods available), old pods drain concurrently
  --arms a,b                before and/or after (default before,after)
  --sse-clients N           EventSource clients, 0..1000 (default 200)
  --ws-clients N            WebSocket clients, 0..200 (default 20)
  --upload-every-ms MS      start an upload every MS ms, 0 (none) or 100..60000 (default 1000)
  --upload-bytes B          bytes per upload, 1024..1000000 (default 262144; under ingress-nginx's 1m body limit)
  --upload-bytes-per-s R    service read rate for uploads, 1024..104857600 (default 131072)
  --drain-window-s W        streams' reconnect signals spread over W s, 1..300 (default 5)
  --propagation-delay-ms D  endpoint additions reach the routing layer after D ms, 0..60000 (default 1000)
  --results-dir DIR         default results/ (writes DIR/long-lived/dereg-<S>s/)
  --target local            the only target this experiment runs on`;

const NUMERIC: Record<string, { key: keyof LongLivedArgs; min: number; max: number; zeroOk?: boolean }> = {
  '--deregistration-s': { key: 'deregistrationS', min: 1, max: 3600 },
  '--deploys': { key: 'deploys', min: 1, max: 10 },
  '--sse-clients': { key: 'sseClients', min: 0, max: 1000 },
  '--ws-clients': { key: 'wsClients', min: 0, max: 200 },
  '--upload-every-ms': { key: 'uploadEveryMs', min: 100, max: 60_000, zeroOk: true },
  '--upload-bytes': { key: 'uploadBytes', min: 1024, max: 1_000_000 },
  '--upload-bytes-per-s': { key: 'uploadBytesPerS', min: 1024, max: 104_857_600 },
  '--drain-window-s': { key: 'drainWindowS', min: 1, max: 300 },
  '--propagation-delay-ms': { key: 'propagationDelayMs', min: 0, max: 60_000 },
};

function numeric(name: string, raw: string | undefined): number {
  const spec = NUMERIC[name]!;
  if (raw === undefined || !/^\d{1,9}$/.test(raw)) throw new LabError('LAB_BAD_OPTION', `${name} needs an integer ${spec.min}..${spec.max}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`);
  const n = Number(raw);
  if ((n < spec.min && !(spec.zeroOk && n === 0)) || n > spec.max) throw new LabError('LAB_BAD_OPTION', `${name} ${n} is out of range ${spec.zeroOk ? '0 or ' : ''}${spec.min}..${spec.max}`);
  return n;
}

/** Parses argv; LAB_BAD_OPTION naming the flag and its range on anything else. Pure: starts nothing. */
export function parseLongLivedArgs(argv: readonly string[]): LongLivedArgs {
  const out: LongLivedArgs = {
    deregistrationS: QUICK_DEREGISTRATION_S, deploys: 3, arms: [...LONG_LIVED_ARMS], sseClients: 200, wsClients: 20,
    uploadEveryMs: 1000, uploadBytes: 262_144, uploadBytesPerS: 131_072, drainWindowS: 5, propagationDelayMs: 1000, help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = () => (eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i]);
    if (NUMERIC[name]) (out as unknown as Record<string, number>)[NUMERIC[name].key] = numeric(name, value());
    else if (name === '--arms') {
      const v = value() ?? '';
      const arms = v.split(',').filter(Boolean);
      const bad = arms.filter((x) => !(LONG_LIVED_ARMS as readonly string[]).includes(x));
      if (arms.length === 0 || bad.length) throw new LabError('LAB_BAD_OPTION', `--arms "${v}": valid arms are ${LONG_LIVED_ARMS.join(', ')} (comma-separated)`);
      out.arms = LONG_LIVED_ARMS.filter((x) => arms.includes(x));
    } else if (name === '--target') {
      const t = value();
      if (t !== 'local') throw new LabError('LAB_BAD_OPTION', `long-lived runs on the local target only (--target local), got ${t === undefined ? 'nothing' : `"${t}"`}`);
    } else if (name === '--reps') {
      const r = value();
      if (r !== '1') throw new LabError('LAB_BAD_OPTION', `long-lived runs one repetition per arm (--reps 1), got ${r === undefined ? 'nothing' : `"${r}"`}`);
    } else if (name === '--rate') {
      value(); // the Makefile's generic --rate: this experiment's load is its clients, not a request rate
    } else if (name === '--results-dir') {
      const d = value();
      if (!d) throw new LabError('LAB_BAD_OPTION', '--results-dir needs a directory');
      out.resultsDir = d;
    } else if (a === '--help' || a === '-h') out.help = true;
    else throw new LabError('LAB_BAD_OPTION', `unknown argument "${a}"; valid: ${[...Object.keys(NUMERIC), '--arms', '--results-dir', '--target local', '--help'].join(', ')}`);
  }
  if (out.deregistrationS * 1000 < out.propagationDelayMs) {
    throw new LabError('LAB_BAD_OPTION', `--deregistration-s ${out.deregistrationS} is shorter than --propagation-delay-ms ${out.propagationDelayMs}`);
  }
  return out;
}
