import type { FastifyInstance } from 'fastify';
import { LabError } from '../../common/errors.js';
import type { ServiceContext } from '../context.js';
import { ACCOUNT_PATTERN } from './jobs.js';

const ACCOUNT_RE = new RegExp(ACCOUNT_PATTERN);

/** The balance the worker applied (`ledger:balance:<id>`, see docs/architecture.md); 0 when never touched. */
export function accountsRoute(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/accounts/:id', async (request) => {
    const { id } = request.params as { id: string };
    if (!ACCOUNT_RE.test(id)) {
      throw new LabError('LAB_BAD_QUERY', `path parameter id=${JSON.stringify(id)} must match ${ACCOUNT_PATTERN}`);
    }
    let raw: string | null;
    try {
      raw = await ctx.deps.redis.get(`ledger:balance:${id}`);
    } catch (err) {
      throw new LabError('LAB_REDIS_UNREACHABLE', `GET /accounts needs Redis and the read failed: ${(err as Error).message}`, { cause: err });
    }
    return { account: id, balance: raw === null ? 0 : Number(raw) };
  });
}
