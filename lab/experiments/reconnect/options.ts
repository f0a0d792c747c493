import { LabError } from '../../../common/errors.js';

// Command line of `npm run lab -- reconnect`. Accepts the flags the Makefile passes to every lab
// command (--target local, --reps 1) so `make reconnect` works unchanged.

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

export const RECONNECT_USAGE = `usage: npm run lab -- reconnect [options]
  --clients N        persistent keep-alive clients, ${CLIENTS.min}..${CLIENTS.max} (default ${CLIENTS.default})
  --pace-ms P        each client sends GET /fast every P ms, ${PACE_MS.min}..${PACE_MS.max} (default ${PACE_MS.default}); total rate = N*1000/P per s
  --variant V        ${VARIANTS.join(' | ')} (default https: every reconnect is a full TLS handshake;
                     -backoff: clients wait a full-jitter exponential backoff before reconnecting)
  --jitter-ms W      jitter window of the jittered arm (default: sized from the measured accept rate);
                     at most SHUTDOWN_DEADLINE_MS - DRAIN_DELAY_MS - 1000 of the manifest
  --results-dir DIR  default results/ (writes DIR/reconnect/<variant>/)
  --target local     the only target this experiment runs on (docs/kind.md says what kind lacks)`;

function intOption(name: string, raw: string | undefined, range: { min: number; max: number }): number {
  if (raw === undefined || !/^\d+$/.test(raw)) throw new LabError('LAB_BAD_OPTION', `${name} needs an integer ${range.min}..${range.max}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`);
  const n = Number(raw);
  if (n < range.min || n > range.max) throw new LabError('LAB_BAD_OPTION', `${name} ${n} is out of range ${range.min}..${range.max}`);
  return n;
}

export function parseReconnectArgs(argv: readonly string[]): ReconnectArgs {
  const out: ReconnectArgs = { clients: CLIENTS.default, paceMs: PACE_MS.default, variant: 'https', help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = () => (eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i]);
    if (name === '--clients') out.clients = intOption(name, value(), CLIENTS);
    else if (name === '--pace-ms') out.paceMs = intOption(name, value(), PACE_MS);
    else if (name === '--jitter-ms') out.jitterMs = intOption(name, value(), JITTER_MS);
    else if (name === '--variant') {
      const v = value();
      if (!VARIANTS.includes(v as Variant)) throw new LabError('LAB_UNKNOWN_VARIANT', `--variant ${v === undefined ? '(nothing)' : `"${v}"`}; valid: ${VARIANTS.join(', ')}`);
      out.variant = v as Variant;
    } else if (name === '--target') {
      const t = value();
      if (t !== 'local') throw new LabError('LAB_BAD_OPTION', `reconnect runs on the local target only (--target local), got ${t === undefined ? 'nothing' : `"${t}"`}; docs/kind.md says what the kind target does not do yet`);
    } else if (name === '--reps') {
      const r = value();
      if (r !== '1') throw new LabError('LAB_BAD_OPTION', `reconnect runs one repetition per arm (--reps 1), got ${r === undefined ? 'nothing' : `"${r}"`}`);
    } else if (name === '--results-dir') {
      const d = value();
      if (!d) throw new LabError('LAB_BAD_OPTION', '--results-dir needs a directory');
      out.resultsDir = d;
    } else if (a === '--help' || a === '-h') out.help = true;
    else throw new LabError('LAB_BAD_OPTION', `unknown argument "${a}"; valid: --clients, --pace-ms, --variant, --jitter-ms, --results-dir, --target local, --help`);
  }
  return out;
}
