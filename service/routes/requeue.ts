import type { FastifyReply } from 'fastify';
import { LabError } from '../../common/errors.js';
import { RETRY_AFTER_SECONDS } from '../budget.js';
import type { ServiceContext } from '../context.js';
import { labErrorBody } from '../http-errors.js';

/** The requeue lever's answer: a clean 503 the client can retry elsewhere, instead of a cut connection. */
export function replyRequeue(ctx: ServiceContext, reply: FastifyReply, route: string, expectedMs: number): FastifyReply {
  ctx.metrics.requeued.labels(route).inc();
  const remaining = Math.max(0, Math.round(ctx.budget.remainingMs()));
  const err = new LabError('LAB_SHUTTING_DOWN', `${route} needs about ${expectedMs} ms, ${remaining} ms of shutdown budget left; retry after ${RETRY_AFTER_SECONDS} s`);
  return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send(labErrorBody(err));
}

/** True when the requeue lever is on, a shutdown is under way and `expectedMs` of work would not fit. */
export function mustRequeue(ctx: ServiceContext, expectedMs: number): boolean {
  return ctx.shutdown.active && ctx.env.fixes.has('requeue') && ctx.budget.cannotFinish(expectedMs);
}
