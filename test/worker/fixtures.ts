import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startNode, type Proc } from '../helpers/proc.js';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';

export const WORKER = 'dist/worker/main.js';

/** One throwaway Redis, a queue with a unique name, and every worker started on it; stop() kills all. */
export interface Rig {
  redis: ThrowawayRedis;
  client: Redis;
  queue: Queue;
  queueName: string;
  workers: Proc[];
  startWorker(env?: Record<string, string>): Promise<Proc>;
  stop(): Promise<void>;
}

export async function rig(): Promise<Rig> {
  const redis = await startRedis();
  const queueName = `t-${randomUUID().slice(0, 8)}`;
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port } });
  const workers: Proc[] = [];
  return {
    redis,
    client,
    queue,
    queueName,
    workers,
    async startWorker(env = {}) {
      const w = startNode(WORKER, { REDIS_URL: redis.url, QUEUE_NAME: queueName, HOST: '127.0.0.1', METRICS_PORT: '0', ...env });
      workers.push(w);
      await w.waitFor((l) => l.event === 'listening', 15_000);
      return w;
    },
    async stop() {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await queue.close().catch(() => {});
      client.disconnect();
      await redis.stop();
    },
  };
}

export function job(account: string, amount: number, idempotencyKey = randomUUID()) {
  return { account, amount, idempotencyKey };
}

/** Job options as the service would enqueue them: a few attempts, kept after completion for inspection. */
export const JOB_OPTS = { attempts: 5, removeOnComplete: false, removeOnFail: false };

export function events(w: Proc, event: string): Array<Record<string, any>> {
  return w.lines.filter((l): l is Record<string, any> => typeof l === 'object' && l.event === event);
}
