import { once } from 'node:events';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LabError } from '../common/errors.js';
import { redactUrl } from '../common/env.js';

export interface ServiceDeps {
  /** The service's own Redis client (/work, /accounts). */
  readonly redis: Redis;
  /** The BullMQ producer and the connection it runs on. */
  readonly queue: Queue;
  readonly queueConnection: Redis;
}

// Fail fast instead of queueing: with Redis gone, a request should get a clear 503 now rather
// than hang in ioredis' offline queue until the client times out.
function client(url: string, log: Logger, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: `service-${name}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * times, 1000),
  });
  // One line per outage, not one per retry: an 'error' listener is also what keeps an
  // unreachable Redis from crashing the process.
  let reported = false;
  redis.on('error', (err: Error) => {
    if (reported) return;
    reported = true;
    log.warn({ event: 'redis-error', connection: name, err: err.message }, `Redis connection "${name}" failed: ${err.message}`);
  });
  redis.on('ready', () => {
    if (reported) log.info({ event: 'redis-ready', connection: name }, `Redis connection "${name}" is back`);
    reported = false;
  });
  return redis;
}

async function waitReady(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  let lastError = 'no answer';
  // events.once rejects on the first 'error' event; ioredis keeps retrying, so keep waiting until the deadline.
  for (let attempt = 0; attempt < 10_000 && redis.status !== 'ready'; attempt++) {
    try {
      await once(redis, 'ready', { signal });
    } catch (err) {
      if (signal.aborted) break;
      lastError = (err as Error).message || String(err);
    }
  }
  if (redis.status !== 'ready') {
    redis.disconnect();
    throw new LabError('LAB_REDIS_UNREACHABLE', `REDIS_URL=${redactUrl(url)} did not answer within ${timeoutMs} ms (last error: ${lastError})`);
  }
}

/** Connects Redis and the queue producer within `timeoutMs`, or throws LAB_REDIS_UNREACHABLE naming REDIS_URL. */
export async function connectDeps(opts: { redisUrl: string; queueName: string; timeoutMs: number; log: Logger }): Promise<ServiceDeps> {
  const redis = client(opts.redisUrl, opts.log, 'app');
  const queueConnection = client(opts.redisUrl, opts.log, 'queue');
  try {
    await Promise.all([waitReady(redis, opts.redisUrl, opts.timeoutMs), waitReady(queueConnection, opts.redisUrl, opts.timeoutMs)]);
  } catch (err) {
    redis.disconnect();
    queueConnection.disconnect();
    throw err;
  }
  const queue = new Queue(opts.queueName, { connection: queueConnection });
  queue.on('error', (err) => opts.log.warn({ event: 'queue-error', err: err.message }, `queue producer error: ${err.message}`));
  return { redis, queue, queueConnection };
}

/** QUIT when connected (lets pending replies arrive), plain disconnect otherwise; never throws. */
export async function closeRedis(redis: Redis): Promise<void> {
  try {
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}

/** Closes the producer, then the connection it was given (BullMQ leaves a passed-in connection open). */
export async function closeQueue(deps: ServiceDeps): Promise<void> {
  try {
    await deps.queue.close();
  } finally {
    await closeRedis(deps.queueConnection);
  }
}
