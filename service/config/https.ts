import { createServer, type Server } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './load.js';
import type { ConfigStore } from './store.js';

export const HTTPS_STATES = ['off', 'listening', 'closing', 'closed'] as const;
export type HttpsState = (typeof HTTPS_STATES)[number];

export interface HttpsListener {
  readonly state: HttpsState;
  readonly server: Server | undefined;
  /** Listens if the active config has tls (called once, when the HTTP listener is up). */
  start(): void;
  close(graceMs: number): Promise<void>;
}

/**
 * A second listener for the same fastify routes over TLS. The context is only ever replaced from
 * a config that already passed validation, with certificate and key taken from that one config,
 * so the server never holds a cert from one version and a key from another. Existing TLS
 * connections keep the session they negotiated; only new handshakes see the new context.
 */
export function httpsListener(app: FastifyInstance, store: ConfigStore, port: number, host: string, log: Logger): HttpsListener {
  let state: HttpsState = 'off';
  let server: Server | undefined;
  let closing: Promise<void> | undefined;

  const start = (config: Config) => {
    if (!config.tls || state !== 'off') return;
    server = createServer({ cert: config.tls.cert, key: config.tls.key, keepAlive: true }, (req, res) => app.routing(req, res));
    // Same socket timeouts as fastify's HTTP server, so keep-alive behaves alike on both ports
    // (Node's own default would close idle TLS connections after 5 s).
    server.keepAliveTimeout = app.server.keepAliveTimeout;
    server.requestTimeout = app.server.requestTimeout;
    server.headersTimeout = app.server.headersTimeout;
    server.on('tlsClientError', (err) => log.debug({ event: 'tls-client-error', err: err.message }, 'TLS handshake failed'));
    server.listen(port, host, () => log.info({ event: 'https-listening', host, port, fingerprint256: config.tls?.fingerprint256 }, 'HTTPS listening'));
    server.on('error', (err) => log.error({ event: 'https-error', err: err.message }, 'HTTPS listener error'));
    state = 'listening';
  };

  store.onSwap((next, previous) => {
    // Whether the process listens on HTTPS is decided at start (the shutdown drains the servers
    // it knows then); a reload can rotate the certificate, not open a new listener.
    if (state === 'off') {
      if (next.tls) log.warn({ event: 'tls-needs-restart', version: next.version }, 'config now has tls but HTTPS was not listening at start; restart to open it');
      return;
    }
    if (state !== 'listening' || !server) return;
    if (!next.tls) {
      log.warn({ event: 'tls-kept', version: next.version }, 'new config has no tls; keeping the current certificate');
      return;
    }
    if (next.tls.fingerprint256 === previous.tls?.fingerprint256 && next.tls.key === previous.tls.key) return;
    server.setSecureContext({ cert: next.tls.cert, key: next.tls.key });
    log.info({ event: 'tls-rotated', version: next.version, fingerprint256: next.tls.fingerprint256, validTo: next.tls.validTo }, 'TLS certificate rotated');
  });

  return {
    get state() { return state; },
    get server() { return server; },
    start: () => start(store.current),
    close(graceMs: number) {
      if (closing) return closing;
      if (!server || state === 'off') {
        state = 'closed';
        return (closing = Promise.resolve());
      }
      state = 'closing';
      const s = server;
      closing = new Promise<void>((resolve) => {
        const timer = setTimeout(() => s.closeAllConnections(), graceMs);
        s.close(() => { clearTimeout(timer); state = 'closed'; resolve(); });
        s.closeIdleConnections();
      });
      return closing;
    },
  };
}
