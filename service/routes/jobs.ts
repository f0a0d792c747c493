import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { LabError } from '../../common/errors.js';
import type { ServiceContext } from '../context.js';

export const ACCOUNT_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const MAX_AMOUNT = 1_000_000;

// The idempotency key becomes the BullMQ jobId, which BullMQ refuses when it looks like an
// integer or contains ':'; refusing it here gives a 400 naming the field instead of a 500.
const KEY_PATTERN = '^(?!-?[0-9]+$)[^:]{1,128}$';

const RULES: Record<string, string> = {
  account: `a string of 1-64 characters [A-Za-z0-9_-]`,
  amount: `an integer 1..${MAX_AMOUNT}`,
  idempotencyKey: 'a string of 1-128 characters, not an integer, without ":"',
};

export const jobBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['account', 'amount'],
  properties: {
    account: { type: 'string', pattern: ACCOUNT_PATTERN },
    amount: { type: 'integer', minimum: 1, maximum: MAX_AMOUNT },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 128, pattern: KEY_PATTERN },
  },
} as const;

export interface JobBody {
  account: string;
  amount: number;
  idempotencyKey?: string;
}

/** Turns ajv's first error into one sentence naming the field and what it must be. */
export function formatJobError(errors: FastifySchemaValidationError[]): LabError {
  const e = errors[0];
  const params = (e?.params ?? {}) as Record<string, unknown>;
  const field = e?.instancePath.replace(/^\//, '') || (params.missingProperty as string | undefined) || '';
  let detail: string;
  if (e?.keyword === 'additionalProperties') {
    detail = `unknown field "${String(params.additionalProperty)}" (allowed: account, amount, idempotencyKey)`;
  } else if (e?.keyword === 'required') {
    detail = `${field} is required and must be ${RULES[field]}`;
  } else if (field && RULES[field]) {
    detail = `${field} must be ${RULES[field]}`;
  } else {
    detail = 'body must be a JSON object {account, amount, idempotencyKey?}';
  }
  return new LabError('LAB_BAD_JOB', `${detail}; nothing was enqueued`);
}

export function jobsRoute(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/jobs', { schema: { body: jobBodySchema }, schemaErrorFormatter: formatJobError }, async (request, reply) => {
    const body = request.body as JobBody;
    const jobId = body.idempotencyKey ?? randomUUID();
    try {
      // The final key always travels in the job: the worker's exactly-once guard is keyed on it.
      await ctx.deps.queue.add('apply', { account: body.account, amount: body.amount, idempotencyKey: jobId }, { jobId, removeOnComplete: 1000, removeOnFail: false });
    } catch (err) {
      throw new LabError('LAB_REDIS_UNREACHABLE', `POST /jobs could not enqueue: ${(err as Error).message}`, { cause: err });
    }
    return reply.code(202).send({ jobId });
  });
}
