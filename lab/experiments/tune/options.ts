import { LabError } from '../../../common/errors.js';
import { ARMS, findArm, type Arm } from '../../engine/arms.js';
import { parseOptions, usage } from '../../engine/args.js';

// Options of `npm run lab -- tune`, declared as data for the lab's one parser (lab/engine/args.ts);
// the arm (must carry readiness) and the sweep (a list of numbers) are checked here.

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
  out?: string;
  help: boolean;
}

const WITH_READINESS = ARMS.filter((a) => a.levers.includes('readiness')).map((a) => a.name);

export const TUNE_OPTIONS = {
  arm: { type: 'string', default: 'after', arg: 'ARM', help: `the arm to size, one with the readiness lever: ${WITH_READINESS.join(', ')}` },
  rate: { type: 'int', min: 1, max: 2000, default: 40, help: 'arrivals per second (light: the sweep runs 14 short runs)' },
  'propagation-delay-ms': { type: 'int', min: 0, max: 20_000, default: 1000, help: 'local target: endpoint propagation delay of the measurement, tuned run and first sweep' },
  'second-propagation-delay-ms': { type: 'int', min: 0, max: 20_000, default: 3000, help: 'the second sweep\'s propagation delay (0: none)' },
  'generous-prestop-s': { type: 'int', min: 0, max: 120, default: 0, help: 'preStop of the measuring run (0: 3 × the propagation delay + 2 s, at least 6 s)' },
  sweep: { type: 'string', default: '0,0.5,1,2,3', arg: 'LIST', help: 'preStop steps as multiples of the measured p99, each 0..10' },
  'phase-seconds': { type: 'int', min: 1, max: 60, default: 2, help: 'warm-up, baseline and cool-down around the one deploy of each run' },
  out: { type: 'string', arg: 'DIR', help: 'where the recommendation, sweep and runs go (default results/tune)' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export const TUNE_USAGE = usage('usage: npm run lab -- tune [options]', TUNE_OPTIONS);

function parseSweep(raw: string): number[] {
  return raw.split(',').map((x) => x.trim()).map((x) => {
    if (!/^\d+(\.\d+)?$/.test(x)) throw new LabError('LAB_BAD_OPTION', `--sweep step "${x}" is not a number; give multiples of the measured p99, e.g. --sweep 0,0.5,1,2,3`);
    const n = Number(x);
    if (n > 10) throw new LabError('LAB_BAD_OPTION', `--sweep step ${x} is out of range 0..10 (multiples of the measured p99)`);
    return n;
  });
}

/** Throws LAB_BAD_OPTION (naming the option and its valid values), LAB_UNKNOWN_ARM or LAB_NEEDS_READINESS. */
export function parseTuneOptions(argv: readonly string[]): TuneOptions {
  const { values: v } = parseOptions(TUNE_OPTIONS, argv);
  const arm = findArm(v.arm);
  if (!v.help && !arm.levers.includes('readiness')) {
    throw new LabError('LAB_NEEDS_READINESS', `arm ${arm.name} has no readiness lever, so no preStop to size; arms with it: ${WITH_READINESS.join(', ')}`);
  }
  return {
    arm, rate: v.rate, propagationDelayMs: v.propagationDelayMs, secondPropagationDelayMs: v.secondPropagationDelayMs,
    generousPreStopSeconds: v.generousPrestopS, sweep: parseSweep(v.sweep), phaseSeconds: v.phaseSeconds, out: v.out, help: v.help,
  };
}

/** The measuring run's preStop: the option, else well past what the routing layer could take (3 × the delay + 2 s, 6 s at least). */
export function generousPreStopSeconds(o: TuneOptions, propagationDelayMs: number): number {
  return o.generousPreStopSeconds || Math.max(6, Math.ceil((3 * propagationDelayMs) / 1000) + 2);
}
