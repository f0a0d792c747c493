// Does a measurement cover what was sent? A verdict, or a before/after row, may rest only on data
// that holds every request the load generator made and a load close to the one planned; anything
// less is named here, and `check` says INCONCLUSIVE (exit 3) instead of PASS (docs/check.md,
// "When the verdict is INCONCLUSIVE").

/** The stated tolerances (docs/check.md repeats them). */
export const COVERAGE_TOLERANCE = {
  /** records vs the generator's own count of requests: every request has its record */
  recordGap: 0,
  /** started + dropped vs planned arrivals: 1 % of the plan, or a quarter second of arrivals, whichever is larger */
  plannedFraction: 0.01,
  plannedSeconds: 0.25,
  /** arrivals the generator could not start (k6 dropped_iterations, the local generator's drops) */
  droppedFraction: 0.01,
} as const;

export interface Coverage {
  complete: boolean;
  /** one sentence per gap, empty when complete */
  reasons: string[];
  planned: number;
  /** requests the generator says it made (k6's lab_requests count, the local generator's sent) */
  counted: number;
  /** request records parsed (k6 log) or kept (local) */
  recorded: number;
  dropped: number;
}

/** k6's exit codes (go.k6.io/k6 errext/exitcodes) the lab names; 99 is expected when its threshold is crossed. */
const K6_EXIT: Record<number, string> = {
  97: 'cloud test run failed', 99: 'thresholds crossed', 100: 'setup timeout', 101: 'teardown timeout', 102: 'generic timeout',
  103: 'engine error', 104: 'invalid config', 105: 'external abort', 107: 'script exception', 108: 'script aborted', 109: 'Go panic', 110: 'marked as failed',
  137: 'SIGKILL (OOMKilled or the Job deadline?)', 143: 'SIGTERM',
};

function plannedGap(started: number, planned: number, rate: number): string | null {
  const slack = Math.max(COVERAGE_TOLERANCE.plannedFraction * planned, COVERAGE_TOLERANCE.plannedSeconds * rate, 2);
  if (Math.abs(started - planned) <= slack) return null;
  return `the generator accounted for ${started} arrivals (sent + dropped) of the ${planned} planned (tolerance ±${Math.round(slack)})`;
}

function droppedGap(dropped: number, planned: number, who: string): string | null {
  if (dropped <= COVERAGE_TOLERANCE.droppedFraction * planned) return null;
  return `${who} could not start ${dropped} of the ${planned} planned arrivals (over ${COVERAGE_TOLERANCE.droppedFraction * 100} %): the load was lighter than planned`;
}

function done(x: Omit<Coverage, 'complete'>): Coverage {
  return { ...x, complete: x.reasons.length === 0 };
}

export interface K6CoverageInput {
  recorded: number;
  malformed: number;
  firstMalformed?: string | undefined;
  /** k6's own count (lab_requests in the summary) */
  counted: number;
  dropped: number;
  /** arrivals k6 announced it would make (LAB_K6_T0: perPath × paths × seconds) */
  planned: number;
  rate: number;
  /** the k6 container's exit code; null: unknown (still running, evicted, the pod gone) */
  exitCode: number | null;
  exitReason?: string | undefined;
  thresholdsCrossed: boolean;
  /** accepted jobs: LAB_JOB lines in the log vs k6's lab_jobs_accepted count (the lab's own runs) */
  jobs?: { logged: number; counted: number; malformed: number } | undefined;
}

export function k6Coverage(x: K6CoverageInput): Coverage {
  const reasons: string[] = [];
  if (x.malformed > 0) reasons.push(`${x.malformed} malformed LAB_REQ line(s) in the k6 log, the first: ${JSON.stringify(x.firstMalformed ?? '')}`);
  if (Math.abs(x.recorded - x.counted) > COVERAGE_TOLERANCE.recordGap) {
    reasons.push(`the k6 log holds ${x.recorded} request line(s) for the ${x.counted} request(s) k6 counted (log rotated, truncated or cut short)`);
  }
  if (x.exitCode === null) reasons.push(`the k6 container's exit code is unknown${x.exitReason ? ` (${x.exitReason})` : ''}`);
  else if (x.exitCode !== 0 && !(x.exitCode === 99 && x.thresholdsCrossed)) {
    reasons.push(`k6 exited ${x.exitCode}${K6_EXIT[x.exitCode] ? ` (${K6_EXIT[x.exitCode]})` : ''}${x.exitReason ? `, reason ${x.exitReason}` : ''}`);
  }
  const gap = plannedGap(x.counted + x.dropped, x.planned, x.rate);
  if (gap) reasons.push(gap);
  const drop = droppedGap(x.dropped, x.planned, 'k6');
  if (drop) reasons.push(drop);
  if (x.jobs && (x.jobs.malformed > 0 || x.jobs.logged !== x.jobs.counted)) {
    reasons.push(`the k6 log holds ${x.jobs.logged} LAB_JOB line(s)${x.jobs.malformed ? ` (+${x.jobs.malformed} malformed)` : ''} for the ${x.jobs.counted} job(s) k6 saw accepted: the ledger audit would miss the rest`);
  }
  return done({ reasons, planned: x.planned, counted: x.counted, recorded: x.recorded, dropped: x.dropped });
}

export interface LocalCoverageInput { recorded: number; sent: number; dropped: number; planned: number; rate: number }

/** The local generator: a record per sent request, and sent + dropped ≈ the arrivals of its run time. */
export function localCoverage(x: LocalCoverageInput): Coverage {
  const reasons: string[] = [];
  if (Math.abs(x.recorded - x.sent) > COVERAGE_TOLERANCE.recordGap) reasons.push(`${x.recorded} request record(s) for the ${x.sent} request(s) the generator sent`);
  const gap = plannedGap(x.sent + x.dropped, x.planned, x.rate);
  if (gap) reasons.push(gap);
  const drop = droppedGap(x.dropped, x.planned, 'the load generator');
  if (drop) reasons.push(drop);
  return done({ reasons, planned: x.planned, counted: x.sent, recorded: x.recorded, dropped: x.dropped });
}
