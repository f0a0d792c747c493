import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger, exitWith } from '../common/log.js';
import { isLabError } from '../common/errors.js';
import { loadWorkerConfig, type WorkerConfig } from './config.js';
import { probeRedis } from './redis-probe.js';
import { redactUrl } from '../common/env.js';
import { createEffect } from './effect.js';
import { createMetrics, startMetricsServer } from './metrics.js';
import { createProcessor } from './processor.js';
import { ActiveJobs } from './active-jobs.js';
import { installShutdown } from './shutdown.js';
import { CLOSED, DRAINING, Lifecycle, RUNNING, STARTING } from './state.js';
import { EXIT_BAD_CONFIG } from '../common/exit-codes.js';
import { installFatalHandlers, scheduleTestFault } from '../common/fatal.js';

// Entry point: `node dist/worker/main.js`, configured by environment only (docs/architecture.md).
const REDIS_PROBE_MS = 5000;
// A few kills in a row must never fail a job that is fine: it is the stall count that fails it.
const MAX_STALLED_COUNT = 5;

const log = createLogger('worker');

async function main(): Promise<void> {
  let cfg: WorkerConfig;
  try {
    cfg = loadWorkerConfig(process.env);
  } catch (err) {
    if (!isLabError(err)) throw err;
    log.error({ event: 'bad-config', code: err.code }, err.message);
    exitWith(log, EXIT_BAD_CONFIG, 'bad configuration');
  }
  const lifecycle = new Lifecycle();
  const metrics = createMetrics();
  lifecycle.onTransition((to, from, ms) => {
    metrics.lifecyclePhase.observe({ state: from }, ms / 1000);
    log.info({ event: 'state', state: to, from, msInPrevious: Math.round(ms) }, `lifecycle ${from} → ${to}`);
  });
  try {
    await probeRedis(cfg.redisUrl, REDIS_PROBE_MS);
  } catch (err) {
    if (!isLabError(err)) throw err;
    log.error({ event: 'redis-unreachable', code: err.code }, err.message);
    exitWith(log, EXIT_BAD_CONFIG, 'Redis unreachable');
  }

  const active = new ActiveJobs();
  const effectRedis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
  const queueRedis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
  for (const c of [effectRedis, queueRedis]) c.on('error', (err) => log.warn({ event: 'redis-error', err: err.message }, 'redis connection error'));
  const effect = createEffect(effectRedis, cfg.effectMode);
  // Liveness, not readiness: a draining worker is alive and must not be restarted mid-requeue.
  const health = () => ({ ok: lifecycle.state !== CLOSED, state: lifecycle.state });
  const server = await startMetricsServer(cfg.host, cfg.metricsPort, metrics.registry, health);

  const worker = new Worker(cfg.queueName, createProcessor({ effect, jobMs: cfg.jobMs, log, metrics, active }), {
    connection: queueRedis,
    concurrency: cfg.concurrency,
    lockDuration: cfg.lockMs,
    stalledInterval: cfg.lockMs,
    maxStalledCount: MAX_STALLED_COUNT,
    autorun: false,
  });
  worker.on('completed', (job) => {
    metrics.completed.inc();
    log.info({ event: 'job-completed', jobId: job.id, idempotencyKey: job.data?.idempotencyKey }, 'job completed');
  });
  worker.on('failed', (job, err) => {
    metrics.failed.inc();
    log.warn({ event: 'job-failed', jobId: job?.id, idempotencyKey: job?.data?.idempotencyKey, reason: err.message, attemptsMade: job?.attemptsMade }, 'job failed');
  });
  worker.on('stalled', (jobId) => {
    metrics.stalled.inc();
    log.warn({ event: 'job-stalled', jobId }, 'found a stalled job (its worker died or lost its lock); moved back to wait');
  });
  worker.on('error', (err) => log.warn({ event: 'worker-error', err: err.message }, 'worker error'));

  const shutdown = installShutdown({
    style: cfg.shutdownStyle,
    worker,
    active,
    lifecycle,
    deadlineMs: cfg.shutdownDeadlineMs,
    log,
    metrics,
    closeDeps: async () => {
      // Reverse order of opening: the queue connection (closed by the worker, shared so ours to
      // quit), the effect client, then the metrics endpoint.
      await queueRedis.quit().catch(() => queueRedis.disconnect());
      await effectRedis.quit().catch(() => effectRedis.disconnect());
      await server.close();
    },
  });

  // An uncaught error: log it, stop taking jobs (the state leaves RUNNING at once), then the normal shutdown.
  installFatalHandlers(log, () => {
    if (lifecycle.state === STARTING || lifecycle.state === RUNNING) lifecycle.to(DRAINING);
    shutdown.onFatal();
  });
  // Test hook (LAB_TEST_FAULT=exception|rejection): an uncaught error while the first job runs.
  if (process.env.LAB_TEST_FAULT) worker.once('active', () => scheduleTestFault(process.env.LAB_TEST_FAULT));
  void worker.run().catch((err) => log.error({ event: 'worker-error', err: err.message }, 'worker run loop failed'));
  await worker.waitUntilReady();
  if (lifecycle.state === STARTING) lifecycle.to(RUNNING);
  log.info({
    event: 'listening',
    queue: cfg.queueName,
    redis: redactUrl(cfg.redisUrl),
    metricsPort: server.port,
    host: cfg.host,
    fixes: cfg.fixesText,
    effectMode: cfg.effectMode,
    shutdownStyle: cfg.shutdownStyle,
    jobMs: cfg.jobMs,
    concurrency: cfg.concurrency,
    lockMs: cfg.lockMs,
    shutdownDeadlineMs: cfg.shutdownDeadlineMs,
  }, 'worker running');
}

main().catch((err) => {
  if (isLabError(err)) log.error({ event: 'bad-config', code: err.code }, err.message);
  else log.error({ event: 'fatal', err }, 'worker failed to start');
  exitWith(log, EXIT_BAD_CONFIG, 'fatal error at start');
});
