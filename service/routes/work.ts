import type { FastifyInstance } from 'fastify';
import { LabError } from '../../common/errors.js';
import type { ServiceContext } from '../context.js';

export const WORK_COUNTER_KEY = 'lab:work:count';

/** One Redis round trip per request, so a teardown that closes Redis before in-flight requests finish shows up as errors. */
export function workRoute(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/work', async () => {
    try {
      return { count: await ctx.deps.redis.incr(WORK_COUNTER_KEY) };
    } catch (err) {
      throw new LabError('LAB_REDIS_UNREACHABLE', `GET /work needs Redis and the round trip failed: ${(err as Error).message}`, { cause: err });
    }
  });
}
