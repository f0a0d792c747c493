import { LabError } from '../../../common/errors.js';

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

export const RELOAD_USAGE = `usage: npm run lab -- reload-vs-restart [options]
  --rate R                  arrivals per second, 1..5000 (default: loadtest/scenario.json)
  --deploys N | --changes N config changes per method, 1..10 (default 3)
  --min-window-ms W         shortest measured window per change, 1000..60000 (default 5000)
  --propagation-delay-ms D  local target endpoint propagation delay, 0..60000
  --results-dir DIR         default results/ (writes DIR/reload-vs-restart/)
  --no-tls                  skip the certificate rotation part
  --target local            the only target this experiment runs on`;

const NUMERIC: Record<string, { key: keyof ReloadArgs; min: number; max: number }> = {
  '--rate': { key: 'rate', min: 1, max: 5000 },
  '--changes': { key: 'changes', min: 1, max: 10 },
  '--deploys': { key: 'changes', min: 1, max: 10 },
  '--min-window-ms': { key: 'minWindowMs', min: 1000, max: 60_000 },
  '--propagation-delay-ms': { key: 'propagationDelayMs', min: 0, max: 60_000 },
};

export function parseReloadArgs(argv: readonly string[]): ReloadArgs {
  const out: ReloadArgs = { changes: 3, minWindowMs: 5000, tls: true, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = () => (eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i]);
    const spec = NUMERIC[name];
    if (spec) {
      const raw = value();
      if (raw === undefined || !/^\d+$/.test(raw)) throw new LabError('LAB_BAD_OPTION', `${name} needs an integer ${spec.min}..${spec.max}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`);
      const n = Number(raw);
      if (n < spec.min || n > spec.max) throw new LabError('LAB_BAD_OPTION', `${name} ${n} is out of range ${spec.min}..${spec.max}`);
      (out as unknown as Record<string, unknown>)[spec.key] = n;
    } else if (name === '--target') {
      const t = value();
      if (t !== 'local') throw new LabError('LAB_BAD_OPTION', `reload-vs-restart runs on the local target only (--target local), got ${t === undefined ? 'nothing' : `"${t}"`}`);
    } else if (name === '--reps') {
      const r = value();
      if (r !== '1') throw new LabError('LAB_BAD_OPTION', `reload-vs-restart runs one repetition per method (--reps 1), got ${r === undefined ? 'nothing' : `"${r}"`}`);
    } else if (name === '--results-dir') {
      const d = value();
      if (!d) throw new LabError('LAB_BAD_OPTION', '--results-dir needs a directory');
      out.resultsDir = d;
    } else if (a === '--no-tls') out.tls = false;
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new LabError('LAB_BAD_OPTION', `unknown argument "${a}"; valid: --rate, --changes, --deploys, --min-window-ms, --propagation-delay-ms, --results-dir, --no-tls, --target local, --help`);
  }
  return out;
}
