import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.js';

export function probeRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  // Liveness: the process answers. Shutdown is not a liveness failure (a restart would only cut the drain).
  app.get('/healthz', async () => ({ status: 'ok', state: ctx.lifecycle.state }));
  // Readiness names the state, so a failing probe says why (DRAINING, CLOSING...).
  app.get('/readyz', async (_request, reply) => {
    const ready = ctx.lifecycle.ready;
    return reply.code(ready ? 200 : 503).send({ ready, state: ctx.lifecycle.state });
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(body);
  });
}
