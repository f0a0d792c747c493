import { LabError } from '../../../common/errors.js';
import { ARMS, findArm, type Arm } from '../../engine/arms.js';

// Options of `npm run lab -- tune`. Hand-parsed like the other experiments: node:util parseArgs
// cannot check ranges or name the valid values in its errors.

export interface TuneOptions {
  /** the arm whose preStop and drain window are sized; it must carry the readiness lever */
  arm: Arm;
  rate: number;
  /** the local target's propagation delay for the measurement, the tuned and the first sweep */
  propagationDelayMs: number;
  /** the second sweep's propagation delay (0 = no second sweep) */
  secondPropagationDelayMs: number;
  /** preStop of the measuring run: long enough to see the whole delay (0 = derived from the propagation delay) */
  generousPreStopSeconds: number;
  /** sweep steps as multiples of the measured p99 */
  sweep: number[];
  /** seconds of warm-up, baseline and cool-down around the one deploy of every run */
  phaseSeconds: number;
  out: string;
}

const INT_OPTS: Record<string, [keyof TuneOptions, number, number]> = {
  '--rate': ['rate', 1, 2000],
  '--propagation-delay-ms': ['propagationDelayMs', 0, 20_000],
  '--second-propagation-delay-ms': ['secondPropagationDelayMs', 0, 20_000],
  '--generous-prestop-s': ['generousPreStopSeconds', 1, 120],
  '--phase-seconds': ['phaseSeconds', 1, 60],
};

export const TUNE_USAGE = `tune [--arm ${ARMS.filter((a) => a.levers.includes('readiness')).map((a) => a.name).join('|')}] [--rate 1..2000] `
  + '[--propagation-delay-ms 0..20000] [--second-propagation-delay-ms 0..20000 (0: none)] [--generous-prestop-s 1..120] '
  + '[--sweep 0,0.5,1,2,3] [--phase-seconds 1..60] [--out DIR]';

function parseSweep(raw: string): number[] {
  const steps = raw.split(',').map((x) => x.trim());
  return steps.map((x) => {
    if (!/^\d+(\.\d+)?$/.test(x)) throw new LabError('LAB_BAD_OPTION', `--sweep step "${x}" is not a number; give multiples of the measured p99, e.g. --sweep 0,0.5,1,2,3`);
    const n = Number(x);
    if (n > 10) throw new LabError('LAB_BAD_OPTION', `--sweep step ${x} is out of range 0..10 (multiples of the measured p99)`);
    return n;
  });
}

/** Throws LAB_BAD_OPTION (naming the option and its valid values) or LAB_NEEDS_READINESS. */
export function parseTuneOptions(argv: readonly string[]): TuneOptions {
  const o: TuneOptions = {
    arm: findArm('after'), rate: 100, propagationDelayMs: 1000, secondPropagationDelayMs: 3000,
    generousPreStopSeconds: 0, sweep: [0, 0.5, 1, 2, 3], phaseSeconds: 2, out: 'results/tune',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(flag in INT_OPTS) && !['--arm', '--sweep', '--out'].includes(flag)) throw new LabError('LAB_BAD_OPTION', `unknown option "${argv[i]}"; usage: ${TUNE_USAGE}`);
    const value = inline ?? argv[i + 1];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new LabError('LAB_BAD_OPTION', `${flag} needs a value; usage: ${TUNE_USAGE}`);
    if (inline === undefined) i++;
    if (flag === '--arm') o.arm = findArm(value);
    else if (flag === '--sweep') o.sweep = parseSweep(value);
    else if (flag === '--out') o.out = value;
    else {
      const [key, min, max] = INT_OPTS[flag]!;
      if (!/^-?\d+$/.test(value)) throw new LabError('LAB_BAD_OPTION', `${flag}=${value} is not an integer (${min}..${max})`);
      const n = Number(value);
      if (n < min || n > max) throw new LabError('LAB_BAD_OPTION', `${flag}=${n} is out of range ${min}..${max}`);
      (o[key] as number) = n;
    }
  }
  if (!o.arm.levers.includes('readiness')) {
    throw new LabError('LAB_NEEDS_READINESS', `arm ${o.arm.name} has no readiness lever, so no preStop to size; arms with it: ${ARMS.filter((a) => a.levers.includes('readiness')).map((a) => a.name).join(', ')}`);
  }
  return o;
}

/** The measuring run's preStop: the option, else well past what the routing layer could take (3 × the delay + 2 s, 6 s at least). */
export function generousPreStopSeconds(o: TuneOptions, propagationDelayMs: number): number {
  return o.generousPreStopSeconds || Math.max(6, Math.ceil((3 * propagationDelayMs) / 1000) + 2);
}
