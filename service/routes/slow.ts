import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LabError } from '../../common/errors.js';
import type { ServiceContext } from '../context.js';
import { mustRequeue, replyRequeue } from './requeue.js';

export const SLOW_DEFAULT_MS = 1000;

/** /slow's delay when the request gives no `ms`: the request's config snapshot (hot reload), else 1 s. */
export function slowDefaultMs(request: FastifyRequest): number {
  return request.labConfig?.values.slowDefaultMs ?? SLOW_DEFAULT_MS;
}

/** Parses `ms`: a decimal integer in 0..max, else LAB_BAD_QUERY naming the parameter and the range. */
export function parseSlowMs(raw: unknown, def: number, max: number): number {
  // The configured default obeys the same bound as an explicit ms: /slow is bounded, whoever sets it.
  if (raw === undefined) return Math.min(def, max);
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) > max) {
    throw new LabError('LAB_BAD_QUERY', `ms=${JSON.stringify(raw)} must be an integer 0..${max} (milliseconds)`);
  }
  return Number(raw);
}

export function slowRoute(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/slow', async (request, reply) => {
    const ms = parseSlowMs((request.query as Record<string, unknown>).ms, slowDefaultMs(request), ctx.env.slowMaxMs);
    if (mustRequeue(ctx, ms)) return replyRequeue(ctx, reply, '/slow', ms);
    await sleep(ms);
    return { sleptMs: ms };
  });
}
