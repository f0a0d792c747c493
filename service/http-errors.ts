import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { isLabError, LabError, type LabErrorCode } from '../common/errors.js';

const STATUS: Partial<Record<LabErrorCode, number>> = {
  LAB_BAD_JOB: 400,
  LAB_BAD_QUERY: 400,
  LAB_BAD_EVENT_ID: 400,
  LAB_BAD_UPLOAD: 400,
  LAB_REDIS_UNREACHABLE: 503,
  LAB_SHUTTING_DOWN: 503,
};

export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}

export function labErrorBody(err: LabError): ErrorBody {
  return { error: err.code, message: err.message };
}

/** Every error leaves as `{error: <stable code>, message}`; fastify's own 4xx on /jobs (bad JSON, wrong media type) become LAB_BAD_JOB. */
export function errorHandler(log: Logger, err: FastifyError | LabError, request: FastifyRequest, reply: FastifyReply): void {
  if (isLabError(err)) {
    // A LabError may carry a more precise status (411/413 for LAB_BAD_UPLOAD) than its code's default.
    reply.code((err as { statusCode?: number }).statusCode ?? STATUS[err.code] ?? 500).send(labErrorBody(err));
    return;
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500 && request.routeOptions.url === '/jobs') {
    reply.code(status).send(labErrorBody(new LabError('LAB_BAD_JOB', err.message)));
    return;
  }
  if (status >= 500) log.error({ event: 'request-failed', err, url: request.url }, err.message);
  reply.code(status).send({ error: err.code ?? 'INTERNAL', message: err.message });
}
