import type { Job } from 'bullmq';

// Abort reason the processor recognises: "hand this job back to wait", as opposed to any other error.
export const REQUEUE = 'shutdown-requeue';

export const JOB_PHASES = ['work', 'effect', 'receipt'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

export interface ActiveJob {
  readonly job: Job;
  readonly token: string | undefined;
  readonly startedAt: number;
  readonly expectedEndAt: number;
  readonly controller: AbortController;
  phase: JobPhase;
}

/** The jobs this process is running, each with the AbortController that cuts its waits. */
export class ActiveJobs {
  private readonly jobs = new Map<string, ActiveJob>();
  private emptyWaiters: Array<() => void> = [];
  /** Set when shutdown starts: a job that cannot end before this instant is requeued at once. */
  private requeueAt: number | null = null;

  add(job: Job, token: string | undefined, jobMs: number): ActiveJob {
    const now = Date.now();
    const entry: ActiveJob = { job, token, startedAt: now, expectedEndAt: now + jobMs, controller: new AbortController(), phase: 'work' };
    this.jobs.set(job.id ?? '', entry);
    // A fetch already in flight when shutdown began can still hand us a job afterwards.
    if (this.requeueAt !== null && entry.expectedEndAt > this.requeueAt) entry.controller.abort(REQUEUE);
    return entry;
  }

  remove(jobId: string | undefined): void {
    this.jobs.delete(jobId ?? '');
    if (this.jobs.size === 0) {
      const w = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const f of w) f();
    }
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Starts the requeue policy; returns how many jobs were cut at once because they cannot fit. */
  beginRequeue(requeueAt: number): number {
    this.requeueAt = requeueAt;
    let cut = 0;
    for (const e of this.jobs.values()) {
      if (e.expectedEndAt > requeueAt) { e.controller.abort(REQUEUE); cut++; }
    }
    return cut;
  }

  /** Requeues everything still running (the deadline for finishing has come). */
  requeueAll(): number {
    let cut = 0;
    for (const e of this.jobs.values()) {
      if (!e.controller.signal.aborted) { e.controller.abort(REQUEUE); cut++; }
    }
    return cut;
  }

  whenEmpty(): Promise<void> {
    if (this.jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }
}
