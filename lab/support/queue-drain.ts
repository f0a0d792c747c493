import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { PENDING_JOB_STATES, QUEUE_DRAIN } from '../report/stats.js';

export interface QueueDrain {
  drained: boolean;
  /** jobs still in a pending state at the last poll */
  pending: number;
  waitedMs: number;
}

/**
 * Waits until the queue holds no job in a pending state (the definition of "jobs lost" in
 * lab/report/stats.ts), polling at the same interval with the same bound on both targets.
 */
export async function waitForQueueDrain(redisUrl: string, queueName: string, timeoutMs: number = QUEUE_DRAIN.timeoutMs): Promise<QueueDrain> {
  const queue = new Queue(queueName, { connection: { url: redisUrl, maxRetriesPerRequest: 3 } });
  const t0 = Date.now();
  let pending = -1;
  try {
    for (;;) {
      const c = await queue.getJobCounts(...PENDING_JOB_STATES);
      pending = Object.values(c).reduce((a, b) => a + b, 0);
      if (pending === 0) return { drained: true, pending, waitedMs: Date.now() - t0 };
      if (Date.now() - t0 >= timeoutMs) return { drained: false, pending, waitedMs: Date.now() - t0 };
      await sleep(QUEUE_DRAIN.pollMs);
    }
  } finally {
    await queue.close();
  }
}
