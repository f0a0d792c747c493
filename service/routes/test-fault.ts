import type { FastifyInstance } from 'fastify';
import { scheduleTestFault } from '../../common/fatal.js';

/**
 * GET /__test/fault?kind=exception|rejection: throws (or rejects) outside any request's promise
 * chain, as a bug in a timer or an event handler would. Registered only with LAB_TEST_FAULTS=1.
 */
export function testFaultRoute(app: FastifyInstance): void {
  app.get<{ Querystring: { kind?: string } }>('/__test/fault', async (request, reply) => {
    const kind = request.query.kind;
    if (kind !== 'exception' && kind !== 'rejection') return reply.code(400).send({ error: 'LAB_BAD_QUERY', message: 'kind must be exception or rejection' });
    scheduleTestFault(kind, 10);
    return { scheduled: kind };
  });
}
