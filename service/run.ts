import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { LabError } from '../common/errors.js';
import { formatFixes } from '../common/levers.js';
import { installFatalHandlers } from '../common/fatal.js';
import { redactUrl } from '../common/env.js';
import { buildApp } from './app.js';
import { ArrivalRecorder } from './arrivals.js';
import { ShutdownBudget } from './budget.js';
import { ConnectionTracker } from './connections.js';
import type { ServiceContext } from './context.js';
import { connectDeps } from './deps.js';
import type { ServiceEnv } from './env.js';
import { Lifecycle, READY } from './lifecycle.js';
import { createMetrics } from './metrics.js';
import { Shutdown } from './shutdown.js';
import { EventHub } from './events/hub.js';
import { OpenStreams } from './events/open-streams.js';
import { EventTicker } from './events/ticker.js';

// The service once its environment parsed: Redis, the queue, the fastify app, the listeners. Loaded by
// main.ts only then, so a bad environment is refused before fastify, BullMQ and ioredis load.

/** Starts the service; `failStart` logs a start failure and exits 1 (it never returns). */
export async function runService(env: ServiceEnv, log: Logger, failStart: (err: unknown) => never): Promise<void> {
  const lifecycle = new Lifecycle();
  const metrics = createMetrics(lifecycle);
  const deps = await connectDeps({ redisUrl: env.redisUrl, queueName: env.queueName, timeoutMs: env.redisConnectTimeoutMs, log }).catch(failStart);
  const events = new EventHub(deps.redis, deps.redis.duplicate({ connectionName: 'service-events' }), log);
  await events.start().catch(failStart);
  const ctx: ServiceContext = {
    env, log, lifecycle, metrics, deps, events,
    ticker: new EventTicker(deps.redis, env.eventsIntervalMs, log),
    streams: new OpenStreams(metrics.registry),
    tracker: new ConnectionTracker(metrics),
    budget: new ShutdownBudget(),
    shutdown: { active: false },
    arrivals: new ArrivalRecorder(log),
  };
  ctx.arrivals.start();
  const shutdown = new Shutdown(ctx);
  shutdown.installSignalHandlers();
  installFatalHandlers(log, () => shutdown.onFatal());
  const app = await buildApp(ctx);
  ctx.tracker.watch(app.server);
  shutdown.addServer(app.server);
  try {
    await app.listen({ port: env.port, host: env.host });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    failStart(e.code === 'EADDRINUSE' ? new LabError('LAB_PORT_TAKEN', `${env.host}:${env.port} (PORT/HOST)`) : err);
  }
  // The HTTPS listener (config with tls and HTTPS_PORT set) drains like the HTTP one.
  const httpsServer = app.httpsListener.server as unknown as Server | undefined;
  if (httpsServer) { ctx.tracker.watch(httpsServer, 'secureConnection'); shutdown.addServer(httpsServer); }
  lifecycle.to(READY);
  const addr = app.server.address();
  log.info({
    event: 'listening', host: env.host, port: typeof addr === 'object' && addr ? addr.port : env.port,
    fixes: formatFixes(env.fixes), redisUrl: redactUrl(env.redisUrl), queue: env.queueName,
    drainDelayMs: env.drainDelayMs, shutdownDeadlineMs: env.shutdownDeadlineMs, closeJitterMs: env.closeJitterMs,
    idleClose: env.idleClose, clientIdleWindowMs: env.clientIdleWindowMs,
    eventsIntervalMs: env.eventsIntervalMs, streamDrainMs: env.streamDrainMs, uploadBytesPerS: env.uploadBytesPerS,
  }, `service listening on ${env.host}:${env.port} with LAB_FIXES=${formatFixes(env.fixes)}`);
}
