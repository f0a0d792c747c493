import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.js';
import { labErrorBody } from '../http-errors.js';
import { isLabError } from '../../common/errors.js';
import { resumePoint } from './events.js';

/** RFC 6455 §7.4.1 / IANA registry: 1012 "Service Restart" tells the client to reconnect. */
export const WS_SERVICE_RESTART = 1012;

/**
 * GET /ws: the same events as /events over WebSocket (@fastify/websocket on ws), one JSON text
 * message `{id, seq, at}` per event, resumable with `?lastEventId=` (or a Last-Event-ID header).
 * A malformed id is refused before the upgrade: 400 with LAB_BAD_EVENT_ID.
 */
export function wsRoute(app: FastifyInstance, ctx: ServiceContext): void {
  app.get('/ws', {
    websocket: true,
    preValidation: (request, reply, done) => {
      try {
        resumePoint(request);
      } catch (err) {
        if (!isLabError(err)) throw err;
        reply.code(400).send(labErrorBody(err));
        return;
      }
      done();
    },
  }, async (socket, request) => {
    const after = resumePoint(request);
    let unsubscribe: (() => void) | undefined;
    const unregister = ctx.streams.add({
      kind: 'ws',
      reconnect() { socket.close(WS_SERVICE_RESTART, 'service restart: reconnect with lastEventId'); },
    });
    socket.once('close', () => { unsubscribe?.(); unregister(); });
    try {
      unsubscribe = await ctx.events.subscribe(after, (e) => { if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(e)); });
    } catch {
      socket.close(1011, 'LAB_REDIS_UNREACHABLE');
      return;
    }
    if (socket.readyState !== socket.OPEN) unsubscribe();
  });
}
