import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type onRequestHookHandler } from 'fastify';
import type { ServiceContext } from './context.js';
import { configPlugin } from './config/plugin.js';
import { errorHandler } from './http-errors.js';
import { accountsRoute } from './routes/accounts.js';
import { fastRoute } from './routes/fast.js';
import { jobsRoute } from './routes/jobs.js';
import { probeRoutes } from './routes/probes.js';
import { mustRequeue, replyRequeue } from './routes/requeue.js';
import { slowRoute } from './routes/slow.js';
import { workRoute } from './routes/work.js';
import websocket from '@fastify/websocket';
import { eventsRoute } from './routes/events.js';
import { uploadRoute } from './routes/upload.js';
import { wsRoute } from './routes/ws.js';
import { testFaultRoute } from './routes/test-fault.js';

/**
 * Runs first on every request: counts it in flight until its response closes (metrics, drain,
 * guardian report) and, once a shutdown began, applies the per-request half of the levers.
 */
export function lifecycleHook(ctx: ServiceContext): onRequestHookHandler {
  const drain = ctx.env.fixes.has('drain');
  const { metrics, tracker } = ctx;
  return (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    tracker.begin(request.raw, reply.raw, () => metrics.countRequest(route, method, reply.raw.statusCode));
    if (ctx.shutdown.active) {
      // Tells keep-alive clients to reconnect elsewhere after this response.
      if (drain) reply.raw.setHeader('connection', 'close');
      // Anything arriving this late gets a clean 503 when even a short request would not fit;
      // /slow checks its own, longer, expected duration.
      if (mustRequeue(ctx, 0)) {
        replyRequeue(ctx, reply, route, 0);
        return;
      }
    }
    done();
  };
}

export async function buildApp(ctx: ServiceContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    // Per-request lines would drown the lifecycle events the lab reads.
    logController: new LogController({ disableRequestLogging: true }),
    // The drain lever decides what a late request gets (served with Connection: close, or a
    // 503 + Retry-After from requeue); fastify's blanket 503-while-closing would hide that.
    return503OnClosing: false,
    // Idle sockets are closed by the shutdown, optionally jittered (surge), not by fastify.close().
    forceCloseConnections: false,
    // How long an idle keep-alive socket stays open (KEEPALIVE_TIMEOUT_MS); Node also announces it
    // as `Keep-Alive: timeout=<s>` on every response.
    keepAliveTimeout: ctx.env.keepAliveTimeoutMs,
    // No type coercion: "amount": "5" is a malformed job, not 5.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.server.headersTimeout = ctx.env.headersTimeoutMs;
  app.setErrorHandler((err: Parameters<typeof errorHandler>[1], request, reply) => errorHandler(ctx.log, err, request, reply));
  // Every answer names its pod (HOSTNAME: the pod name in Kubernetes and on the local target), so a
  // client's request record says which pod answered, whichever path routed it.
  const pod = process.env.HOSTNAME;
  // First: a request refused later (requeue, blocklist) was still routed to this pod.
  app.addHook('onRequest', (request, reply, done) => { ctx.arrivals.record(request.raw.socket, request.url); if (pod) reply.header('x-pod', pod); done(); });
  app.addHook('onRequest', lifecycleHook(ctx));

  // Hot-reload integration point: the config plugin (service/config/) is registered here, after
  // the lifecycle hook (so blocked or rate-limited requests are still counted and drained) and
  // before the routes (so every route sees the request's config snapshot).
  await app.register(configPlugin, { configFile: ctx.env.configFile, host: ctx.env.host });

  // Node answers `Expect: 100-continue` itself unless someone listens: only /upload decides
  // (it may refuse before the body is sent); every other route continues at once.
  app.server.on('checkContinue', (req, res) => {
    if (!(req.url ?? '').startsWith('/upload')) res.writeContinue();
    app.server.emit('request', req, res);
  });
  await app.register(websocket);

  probeRoutes(app, ctx);
  fastRoute(app);
  slowRoute(app, ctx);
  workRoute(app, ctx);
  jobsRoute(app, ctx);
  accountsRoute(app, ctx);
  eventsRoute(app, ctx);
  wsRoute(app, ctx);
  await uploadRoute(app, ctx);
  if (ctx.env.testFaults) testFaultRoute(app);
  await app.ready();
  return app;
}
