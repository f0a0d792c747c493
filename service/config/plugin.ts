import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ERRORS, type LabErrorCode } from '../../common/errors.js';
import { configEnv, type ConfigEnv } from './env.js';
import { httpsListener, type HttpsListener } from './https.js';
import type { Config } from './load.js';
import { configMetrics } from './metrics.js';
import { ParserThread } from './parser.js';
import { TokenBuckets } from './rate-limit.js';
import { DEFAULT_VALUES } from './schema.js';
import { ConfigStore, type Lease } from './store.js';
import { watchConfig } from './watch.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The config snapshot this request started with; it keeps it until it ends. */
    labConfig: Config;
    labConfigLease: Lease | null;
  }
  interface FastifyInstance {
    configStore: ConfigStore;
    httpsListener: HttpsListener;
  }
}

export interface ConfigPluginOptions extends Partial<ConfigEnv> {
  registry?: Registry;
  /** install the SIGHUP handler (default true) */
  sighup?: boolean;
  /** grace for open HTTPS connections when the app closes */
  httpsCloseGraceMs?: number;
}

// Probes and scrapes must keep working whatever an operator puts in the blocklist or rate limit:
// blocking the kubelet would turn a config mistake into an outage.
const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/config']);

/** The /slow default for this request, from the snapshot it started with. */
export function slowDefaultMs(request: FastifyRequest): number {
  return request.labConfig?.values.slowDefaultMs ?? DEFAULT_VALUES.slowDefaultMs;
}

export function configView(store: ConfigStore, config: Config) {
  return {
    version: config.version,
    loadedAt: config.loadedAt,
    checksum: config.checksum,
    source: config.source,
    lastReload: store.lastReload,
    awaitingRetirement: store.awaitingRetirement,
    values: {
      slowDefaultMs: config.values.slowDefaultMs,
      rateLimit: config.values.rateLimit,
      blocklistEntries: config.values.blocklistEntries,
    },
    tls: config.tls ? { fingerprint256: config.tls.fingerprint256, validTo: config.tls.validTo } : null,
  };
}

async function plugin(app: FastifyInstance, opts: ConfigPluginOptions): Promise<void> {
  const env = { ...configEnv(process.env), ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as ConfigEnv;
  const log = app.log as unknown as Logger;
  const parser = new ParserThread();
  const store = await ConfigStore.open(env.configFile, log, configMetrics(opts.registry), (file) => parser.parse(file));
  const buckets = new TokenBuckets();
  const https = httpsListener(app, store, env.httpsPort, env.host, log);

  const watcher = watchConfig({
    file: env.configFile,
    debounceMs: env.debounceMs,
    log,
    sighup: opts.sighup,
    onTrigger: (trigger) => {
      log.info({ event: 'config-reload-triggered', trigger }, 'config reload triggered');
      void store.reload(trigger);
    },
  });

  app.decorate('configStore', store);
  app.decorate('httpsListener', https);
  app.decorateRequest('labConfig', null as unknown as Config);
  app.decorateRequest('labConfigLease', null);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const lease = store.acquire();
    request.labConfig = lease.config;
    request.labConfigLease = lease;
    // 'close' fires however the response ends (sent, aborted, socket destroyed), so no lease leaks.
    reply.raw.once('close', lease.release);
    if (OPS_PATHS.has(request.url.split('?', 1)[0]!)) return;
    if (lease.config.isBlocked(request.ip)) {
      return reply.code(403).send({ error: 'LAB_BLOCKED' satisfies LabErrorCode, message: `${ERRORS.LAB_BLOCKED}: ${request.ip}` });
    }
    const take = buckets.take(request.ip, lease.config.values.rateLimit.perClientPerSecond);
    if (!take.ok) {
      return reply.code(429).header('retry-after', String(take.retryAfterS)).send({ error: 'LAB_RATE_LIMITED' satisfies LabErrorCode, message: `${ERRORS.LAB_RATE_LIMITED}: retry after ${take.retryAfterS} s` });
    }
  });
  const release = async (request: FastifyRequest) => { request.labConfigLease?.release(); };
  app.addHook('onResponse', release);
  app.addHook('onRequestAbort', release);

  app.get('/config', async (request) => configView(store, request.labConfig));

  if (env.configFile) app.addHook('onListen', async () => parser.warm());
  if (env.httpsPort > 0) app.addHook('onListen', async () => https.start());
  // Stop TLS accepts together with the main listener; onClose then waits (bounded) for the rest.
  app.addHook('preClose', async () => { watcher.close(); void https.close(opts.httpsCloseGraceMs ?? 2000); });
  app.addHook('onClose', async () => { await Promise.all([https.close(opts.httpsCloseGraceMs ?? 2000), parser.close()]); });
}

// What fastify-plugin does: without this flag the hooks would only apply inside the plugin's own
// encapsulated scope, not to the service's routes.
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'lab-config';

export const configPlugin = plugin;
