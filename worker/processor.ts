import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { isLabError } from '../common/errors.js';
import { parseJobData, type JobData } from './job-data.js';
import type { Effect } from './effect.js';
import type { WorkerMetrics } from './metrics.js';
import { REQUEUE, type ActiveJobs } from './active-jobs.js';

export interface ProcessorDeps {
  effect: Effect;
  jobMs: number;
  log: Logger;
  metrics: WorkerMetrics;
  active: ActiveJobs;
}

export interface JobResult {
  applied: boolean;
  balance: number;
}

/**
 * One job: some work, then the side effect, then a follow-up ("send the receipt"). The follow-up
 * is what leaves a window where the effect is applied but the job is not yet complete: a kill
 * there makes BullMQ redeliver a job whose effect already happened.
 */
export function createProcessor(deps: ProcessorDeps) {
  const { effect, jobMs, log, metrics, active } = deps;
  const workMs = Math.round((jobMs * 2) / 3);
  const receiptMs = jobMs - workMs;

  return async function processJob(job: Job, token?: string): Promise<JobResult> {
    let data: JobData;
    try {
      data = parseJobData(job.data);
    } catch (err) {
      // Unrecoverable: a malformed payload stays malformed, so retrying it is pointless; it lands
      // in the failed set once with the reason, for a human to look at.
      if (isLabError(err)) throw new UnrecoverableError(err.message);
      throw err;
    }
    const entry = active.add(job, token, jobMs);
    const ids = { jobId: job.id, idempotencyKey: data.idempotencyKey, attempt: job.attemptsStarted, stalledCount: job.stalledCounter };
    log.info({ event: 'job-started', ...ids }, 'job started');
    try {
      await sleep(workMs, undefined, { signal: entry.controller.signal });
      entry.phase = 'effect';
      const r = await effect.apply(data);
      if (r.applied) {
        metrics.applied.inc();
        log.info({ event: 'job-applied', ...ids, account: data.account, amount: data.amount, balance: r.balance, mode: effect.mode }, 'side effect applied');
      } else {
        metrics.suppressed.inc();
        log.info({ event: 'job-duplicate-suppressed', ...ids, account: data.account, amount: data.amount, balance: r.balance }, 'side effect already applied; not applied again');
      }
      entry.phase = 'receipt';
      await sleep(receiptMs, undefined, { signal: entry.controller.signal });
      return { applied: r.applied, balance: r.balance };
    } catch (err) {
      if (entry.controller.signal.aborted && entry.controller.signal.reason === REQUEUE) {
        // Handing the job back explicitly, with our lock token, instead of letting the lock expire:
        // another worker can take it at once, and maxStalledCount is not spent.
        await job.moveToWait(token);
        metrics.requeued.inc();
        log.info({ event: 'job-requeued', ...ids, phase: entry.phase, ranMs: Date.now() - entry.startedAt }, 'job moved back to wait');
        throw new WaitingError();
      }
      throw err;
    } finally {
      active.remove(job.id);
    }
  };
}
