import { parseOptions, usage } from '../../engine/args.js';

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

export const KMJ_OPTIONS = {
  jobs: { type: 'int', min: 10, max: 5000, default: 300, help: 'jobs enqueued per mode' },
  rate: { type: 'int', min: 1, max: 1000, default: 40, help: 'POST /jobs per second' },
  kills: { type: 'int', min: 0, max: 50, default: 5, help: 'SIGKILL + restart of a worker mid-job' },
  terms: { type: 'int', min: 0, max: 50, default: 3, help: 'SIGTERM + restart of a worker mid-job' },
  'job-ms': { type: 'int', min: 10, max: 10_000, default: 300, help: 'processing time of one job' },
  'lock-ms': { type: 'int', min: 500, max: 60_000, default: 2000, help: 'BullMQ lockDuration' },
  concurrency: { type: 'int', min: 1, max: 100, default: 4, help: 'jobs per worker at once' },
  // Shorter than most of a job's remaining time, so a SIGTERM both lets some jobs finish and
  // requeues others: both halves of the requeue lever show up in the run.
  'deadline-ms': { type: 'int', min: 100, max: 60_000, default: 400, help: "the workers' SHUTDOWN_DEADLINE_MS" },
  seed: { type: 'int', min: 0, max: 2 ** 31 - 1, default: 42, help: 'seed of the kill schedule' },
  modes: { type: 'list', choices: KMJ_MODES.map((m) => m.id), default: KMJ_MODES.map((m) => m.id), help: 'which modes to run' },
  out: { type: 'string', arg: 'DIR', default: 'results/kill-mid-job', help: 'where the results go' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export const KMJ_USAGE = usage('usage: npm run lab -- kill-mid-job [options]', KMJ_OPTIONS);

/** Parses the command's options; throws LAB_BAD_OPTION naming the option and its valid values. */
export function parseKmjOptions(argv: string[]): KmjOptions & { help: boolean } {
  const v = parseOptions(KMJ_OPTIONS, argv).values;
  return {
    jobs: v.jobs, rate: v.rate, kills: v.kills, terms: v.terms, jobMs: v.jobMs, lockMs: v.lockMs, concurrency: v.concurrency,
    shutdownDeadlineMs: v.deadlineMs, seed: v.seed, out: v.out, help: v.help,
    modes: v.modes.map((id) => KMJ_MODES.find((m) => m.id === id)!),
  };
}
