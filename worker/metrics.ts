import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LabError } from '../common/errors.js';

export type WorkerMetrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  return {
    registry,
    completed: counter('worker_jobs_completed_total', 'Jobs completed by this worker'),
    requeued: counter('worker_jobs_requeued_total', 'Active jobs moved back to wait during shutdown'),
    failed: counter('worker_jobs_failed_total', 'Jobs that failed (malformed jobs land here, never retried)'),
    stalled: counter('worker_jobs_stalled_total', 'Stalled jobs this worker found and moved back to wait'),
    applied: counter('worker_effects_applied_total', 'Side effects applied'),
    suppressed: counter('worker_effects_duplicate_suppressed_total', 'Redeliveries whose side effect was already applied'),
    lifecyclePhase: new Histogram({
      name: 'worker_lifecycle_phase_seconds',
      help: 'Time spent in each lifecycle state, observed when the worker leaves it',
      labelNames: ['state'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 10, 60, 600, 3600],
      registers: [registry],
    }),
    shutdownPhase: new Histogram({
      name: 'worker_shutdown_phase_seconds',
      help: 'Duration of each shutdown phase',
      labelNames: ['phase'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

// node:http rather than fastify: two routes, and the worker should not carry a web framework.
export async function startMetricsServer(
  host: string,
  port: number,
  registry: Registry,
  health: () => { ok: boolean; state: string },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (body) => { res.writeHead(200, { 'content-type': registry.contentType }); res.end(body); },
        (err: Error) => { res.writeHead(500); res.end(err.message); },
      );
    } else if (req.method === 'GET' && path === '/healthz') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(h));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found', routes: ['/metrics', '/healthz'] }));
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new LabError('LAB_PORT_TAKEN', `METRICS_PORT ${host}:${port} is already in use`, { cause: err }) : err);
    server.once('error', onError);
    server.listen(port, host, () => { server.off('error', onError); resolve(); });
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
