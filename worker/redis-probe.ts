import { Redis } from 'ioredis';
import { LabError } from '../common/errors.js';
import { redactUrl } from '../common/env.js';

/**
 * PINGs Redis until it answers or `withinMs` runs out. BullMQ itself retries forever, so without
 * this a worker pointed at a wrong URL would sit silently "running" and process nothing.
 */
export async function probeRedis(url: string, withinMs: number): Promise<void> {
  const until = Date.now() + withinMs;
  let last: unknown;
  for (let attempt = 0; attempt < 1000 && Date.now() < until; attempt++) {
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: Math.max(100, Math.min(1000, until - Date.now())),
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    client.on('error', () => {}); // reported through the rejected connect() below
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      last = err;
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, until - Date.now()))));
  }
  const why = last instanceof Error ? last.message : String(last ?? 'timed out');
  throw new LabError('LAB_REDIS_UNREACHABLE', `${redactUrl(url)} did not answer PING within ${withinMs} ms (${why})`);
}

