import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LabError } from '../../common/errors.js';
import type { ServiceContext } from '../context.js';
import { parseLastEventId, type StreamEvent } from '../events/stream-id.js';

/** The client's resume point: the Last-Event-ID header (what EventSource sends), else `?lastEventId=` (WebSocket, browsers). */
export function resumePoint(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown>).lastEventId;
  return parseLastEventId(header ?? query);
}

/** A retry hint spread over [0.5, 1.5) × SSE_RETRY_MS, so clients told together do not come back together. */
export const jitteredRetryMs = (baseMs: number) => Math.round(baseMs * (0.5 + Math.random()));

export const sseFrame = (e: StreamEvent) => `id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`;

/**
 * GET /events: Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html)
 * of the Redis stream, resumable with Last-Event-ID. The response is hijacked from fastify: it
 * lives until the client leaves or the drain ends it with `event: reconnect` and a jittered
 * `retry:`, after which a WHATWG client reconnects by itself, sending the last id it saw.
 */
export function eventsRoute(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/events', async (request, reply) => {
    const after = resumePoint(request);
    const res = reply.raw;
    const write = (chunk: string) => {
      if (!res.headersSent) {
        // Connection: close: a stream's connection is never reused. Reuse races the end of the stream:
        // a proxy's pool (or a client) may write its next request into a socket the drain is closing.
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', connection: 'close' });
        res.write(`retry: ${ctx.env.sseRetryMs}\n\n`);
      }
      if (!res.destroyed) res.write(chunk);
    };
    let unsubscribe: () => void;
    try {
      unsubscribe = await ctx.events.subscribe(after, (e) => write(sseFrame(e)));
    } catch (err) {
      if (res.headersSent) { res.destroy(); return reply.hijack(); }
      throw new LabError('LAB_REDIS_UNREACHABLE', `reading the event stream: ${(err as Error).message}`);
    }
    reply.hijack();
    write(': open\n\n');
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), ctx.env.heartbeatMs);
    const unregister = ctx.streams.add({
      kind: 'sse',
      reconnect() {
        const retryMs = jitteredRetryMs(ctx.env.sseRetryMs);
        write(`retry: ${retryMs}\nevent: reconnect\ndata: ${JSON.stringify({ reason: 'shutdown', retryMs })}\n\n`);
        res.end(); // with Connection: close, Node closes the socket once the body is out

      },
    });
    res.once('close', () => { clearInterval(heartbeat); unsubscribe(); unregister(); });
  });
}
