import { LabError } from '../../../common/errors.js';

export interface KmjMode {
  readonly id: string;
  readonly fixes: string; // LAB_FIXES of the workers
  readonly title: string;
}

// requeue on = the default `all`; off = a handler with the naive close (`pid1`), and no handler at all.
export const KMJ_MODES: readonly KmjMode[] = [
  { id: 'on', fixes: 'all', title: 'requeue on (LAB_FIXES=all)' },
  { id: 'off-pid1', fixes: 'pid1', title: 'requeue off, SIGTERM handler with naive close (LAB_FIXES=pid1)' },
  { id: 'off-none', fixes: 'none', title: 'requeue off, no handler (LAB_FIXES=none)' },
];

export interface KmjOptions {
  jobs: number;
  rate: number; // POST /jobs per second
  kills: number; // SIGKILL + restart
  terms: number; // SIGTERM + restart
  jobMs: number;
  lockMs: number;
  concurrency: number;
  shutdownDeadlineMs: number;
  seed: number;
  modes: KmjMode[];
  out: string;
}

const INT_OPTS: Record<string, [keyof KmjOptions, number, number]> = {
  '--jobs': ['jobs', 10, 5000],
  '--rate': ['rate', 1, 1000],
  '--kills': ['kills', 0, 50],
  '--terms': ['terms', 0, 50],
  '--job-ms': ['jobMs', 10, 10_000],
  '--lock-ms': ['lockMs', 500, 60_000],
  '--concurrency': ['concurrency', 1, 100],
  '--deadline-ms': ['shutdownDeadlineMs', 100, 60_000],
  '--seed': ['seed', 0, 2 ** 31 - 1],
};

export const KMJ_USAGE = `kill-mid-job [--jobs N] [--rate N] [--kills N] [--terms N] [--job-ms N] [--lock-ms N] [--concurrency N] [--deadline-ms N] [--seed N] [--modes ${KMJ_MODES.map((m) => m.id).join(',')}] [--out DIR]`;

/** Parses the command's options; throws LAB_BAD_OPTION naming the option and its valid values. */
export function parseKmjOptions(argv: string[]): KmjOptions {
  const o: KmjOptions = {
    jobs: 300, rate: 40, kills: 5, terms: 3, jobMs: 300, lockMs: 2000, concurrency: 4,
    // Shorter than most of a job's remaining time, so a SIGTERM both lets some jobs finish and
    // requeues others: both halves of the requeue lever show up in the run.
    shutdownDeadlineMs: 400,
    seed: 42, modes: [...KMJ_MODES], out: 'results/kill-mid-job',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? argv[i + 1];
    const takesValue = flag in INT_OPTS || flag === '--modes' || flag === '--out';
    if (!takesValue) throw new LabError('LAB_BAD_OPTION', `unknown option "${argv[i]}"; usage: ${KMJ_USAGE}`);
    if (value === undefined) throw new LabError('LAB_BAD_OPTION', `${flag} needs a value; usage: ${KMJ_USAGE}`);
    if (inline === undefined) i++;
    if (flag === '--modes') {
      o.modes = value.split(',').map((id) => {
        const m = KMJ_MODES.find((x) => x.id === id.trim());
        if (!m) throw new LabError('LAB_BAD_OPTION', `--modes contains "${id}"; valid modes are ${KMJ_MODES.map((x) => x.id).join(', ')}`);
        return m;
      });
    } else if (flag === '--out') {
      o.out = value;
    } else {
      const [key, min, max] = INT_OPTS[flag]!;
      if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
        throw new LabError('LAB_BAD_OPTION', `${flag}=${value} must be an integer ${min}..${max}`);
      }
      (o[key] as number) = Number(value);
    }
  }
  return o;
}
