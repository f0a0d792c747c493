import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LabError } from '../../common/errors.js';
import type { ServiceContext } from '../context.js';
import { mustRequeue, replyRequeue } from './requeue.js';

/** Where completed uploads are recorded: one `<sha256>:<bytes>` per upload, written only after the whole body checked out. */
export const UPLOADS_KEY = 'lab:uploads';

/**
 * The stated length: `Upload-Length` (as in the IETF resumable-uploads draft; needed for a chunked
 * body) or Content-Length. Missing → 411, both and different → 400, over UPLOAD_MAX_BYTES → 413.
 */
export function statedLength(request: FastifyRequest, maxBytes: number): number {
  const h = request.headers;
  const parse = (name: string, v: string | string[] | undefined) => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^\d{1,16}$/.test(v)) throw new LabError('LAB_BAD_UPLOAD', `${name}: ${JSON.stringify(v)} is not a byte count`);
    return Number(v);
  };
  const upload = parse('Upload-Length', h['upload-length']);
  const content = parse('Content-Length', h['content-length']);
  if (upload !== undefined && content !== undefined && upload !== content) throw new LabError('LAB_BAD_UPLOAD', `Upload-Length ${upload} differs from Content-Length ${content}`);
  const n = upload ?? content;
  if (n === undefined) throw Object.assign(new LabError('LAB_BAD_UPLOAD', 'state the length with Content-Length or Upload-Length'), { statusCode: 411 });
  if (n > maxBytes) throw Object.assign(new LabError('LAB_BAD_UPLOAD', `${n} bytes is over UPLOAD_MAX_BYTES=${maxBytes}`), { statusCode: 413 });
  return n;
}

/**
 * Reads `req` at most `bytesPerS` (a token-bucket-free pacing: after each chunk, wait until the
 * bytes so far are due; not pulling is TCP backpressure on the sender). Hashes as it goes; a body
 * longer or shorter than stated is refused and nothing is kept.
 */
export async function readPaced(req: IncomingMessage, stated: number, bytesPerS: number): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  const t0 = Date.now();
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > stated) throw Object.assign(new LabError('LAB_BAD_UPLOAD', `body longer than the stated ${stated} bytes`), { statusCode: 413 });
    hash.update(chunk);
    const due = t0 + (bytes / bytesPerS) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  if (bytes < stated) throw new LabError('LAB_BAD_UPLOAD', `body ended after ${bytes} of the stated ${stated} bytes`);
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * POST /upload: a streamed body of stated length read at UPLOAD_BYTES_PER_S, acknowledged with
 * `{bytes, sha256, ms}`. During a shutdown with `requeue`, an upload whose reading time does not fit
 * the remaining budget is refused before a byte of its body is read: 503 + Retry-After, and
 * Connection: close unless the client waits for `100 Continue` (then it never sent the body).
 */
export async function uploadRoute(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // Leave the body unread: the handler paces it (and a refused upload never reads it).
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    scope.post('/upload', {
      onRequest: (request, reply, done) => {
        let stated: number;
        try { stated = statedLength(request, ctx.env.uploadMaxBytes); } catch (err) { done(err as Error); return; }
        const expectedMs = Math.ceil((stated / ctx.env.uploadBytesPerS) * 1000);
        if (mustRequeue(ctx, expectedMs)) {
          const expects = /100-continue/i.test(String(request.headers.expect ?? ''));
          if (!expects) reply.header('connection', 'close');
          ctx.log.info({ event: 'upload-refused', stated, expectedMs, remainingMs: Math.round(ctx.budget.remainingMs()), expectContinue: expects }, `upload of ${stated} bytes refused: needs ${expectedMs} ms`);
          replyRequeue(ctx, reply, '/upload', expectedMs);
          return;
        }
        done();
      },
    }, async (request, reply) => {
      const stated = statedLength(request, ctx.env.uploadMaxBytes);
      if (/100-continue/i.test(String(request.headers.expect ?? ''))) reply.raw.writeContinue();
      const t0 = Date.now();
      let result: { bytes: number; sha256: string };
      try {
        result = await readPaced(request.raw, stated, ctx.env.uploadBytesPerS);
      } catch (err) {
        ctx.log.warn({ event: 'upload-failed', stated, err: (err as Error).message }, `upload failed: ${(err as Error).message}`);
        reply.header('connection', 'close'); // what is left of the body is not worth reading
        throw err;
      }
      await ctx.deps.redis.rpush(UPLOADS_KEY, `${result.sha256}:${result.bytes}`).catch((err: Error) => {
        throw new LabError('LAB_REDIS_UNREACHABLE', `recording the upload: ${err.message}`);
      });
      return { ...result, ms: Date.now() - t0 };
    });
  });
}
