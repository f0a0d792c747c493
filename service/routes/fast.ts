import type { FastifyInstance } from 'fastify';

/** The cheapest route: what the benchmark measures the lifecycle machinery against. */
export function fastRoute(app: FastifyInstance): void {
  app.get('/fast', async () => ({ ok: true }));
}
