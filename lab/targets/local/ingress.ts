import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Pool } from 'undici';
import { LabError } from '../../../common/errors.js';
import type { Endpoint, LaggedView } from './endpoints.js';
import type { IngressSpec } from './manifest.js';
import { proxyUpgrade } from './ingress-upgrade.js';
import { UpstreamReuse, type UpstreamUse } from './upstream-reuse.js';

// An L7 proxy with ingress-nginx's defaults, because that is where 502s come from in a rollout:
// - upstream chosen round-robin from the lagged endpoint view (the Lua balancer's copy);
// - proxy_next_upstream "error timeout", proxy_next_upstream_tries 3: a failed try moves to another
//   endpoint, EXCEPT that nginx never passes a non-idempotent request (POST, PATCH, LOCK) to the
//   next upstream once it was sent; a refused connect was never sent, so that one is retried;
// - upstream keep-alive (upstream-keepalive-timeout 60 s, 10 000 requests per connection), which
//   outlives Node's 5 s keepAliveTimeout: nginx reuses a connection the app is closing → 502;
// - nginx's own 502/503/504 pages; 503 when the backend has no endpoints at all.
// undici's Pool does the upstream HTTP; the retry policy above is written here, since no library
// implements nginx's rule set (undici's RetryAgent retries on its own terms).
// An L7Profile (l7-profile.ts) replaces the endpoint choice, retry rule and error pages with another
// implementation's defaults (Envoy Gateway).

export interface IngressTuning {
  nextUpstream: ReadonlySet<string>;
  tries: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  sendTimeoutMs: number;
  upstreamKeepaliveTimeoutMs: number;
  upstreamKeepaliveRequests: number;
  clientKeepaliveTimeoutMs: number;
  clientMaxBodyBytes: number;
}

/** ingress-nginx controller ConfigMap defaults. */
export const INGRESS_NGINX_DEFAULTS: IngressTuning = {
  nextUpstream: new Set(['error', 'timeout']),
  tries: 3,
  connectTimeoutMs: 5_000,
  readTimeoutMs: 60_000,
  sendTimeoutMs: 60_000,
  upstreamKeepaliveTimeoutMs: 60_000,
  upstreamKeepaliveRequests: 10_000,
  clientKeepaliveTimeoutMs: 75_000,
  clientMaxBodyBytes: 1024 * 1024,
};

const NON_IDEMPOTENT = new Set(['POST', 'PATCH', 'LOCK']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'expect']);
/** Errors raised before a single byte of the request went out: nothing was sent. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_ERRORS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const TITLES: Record<number, string> = { 404: '404 Not Found', 413: '413 Request Entity Too Large', 502: '502 Bad Gateway', 503: '503 Service Temporarily Unavailable', 504: '504 Gateway Time-out' };

function nginxPage(res: ServerResponse, status: number): void {
  const title = TITLES[status] ?? String(status);
  const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Why a try failed, as the proxy saw it. */
export type FailureKind = 'connect' | 'reset' | 'timeout';

/** Another L7 implementation's rules (l7-profile.ts); without one the proxy behaves as ingress-nginx. */
export interface L7Profile {
  readonly name: string;
  readonly tuning: IngressTuning;
  /** An endpoint for the next try, or undefined when none is left; counts it as active. */
  pick(view: LaggedView, tried: ReadonlySet<string>): Endpoint | undefined;
  /** The try on `ep` ended, however it ended. */
  release(ep: Endpoint): void;
  mayRetry(method: string, sent: boolean, kind: FailureKind, bodyBytes: number): boolean;
  /** Whether an upstream response with this status is thrown away and the request tried again. */
  retryOnStatus(status: number, bodyBytes: number): boolean;
  /** How long to wait before retry `k` (1-based). */
  backoffMs(k: number): number;
  /** The status of a request that ends in this failure (`none`: no endpoint at all). */
  status(kind: FailureKind | 'none'): number;
  /** `retried`: the failure is the last of several tries. */
  page(res: ServerResponse, status: number, kind: FailureKind | 'none', retried: boolean): void;
}

export interface Attempt {
  method: string; path: string; pod: string; sent: boolean; outcome: number | string;
  /** the upstream connection this try went out on (reused, idle for how long); absent when it never got one */
  upstream?: UpstreamUse;
  /** the proxy answered the client with this try's outcome (its success, or the failure it did not retry) */
  last?: boolean;
}
export interface Backend { view: LaggedView; portIndex: number }
/** Picks the backend for a request, or undefined for nginx's default backend (404). */
export type Router = (req: IncomingMessage) => Backend | undefined;

const used = (u: UpstreamUse | undefined) => (u ? { upstream: u } : {});

function errCode(err: unknown): string {
  let e: any = err;
  for (let i = 0; e && i < 5; i++, e = e.cause) if (typeof e.code === 'string') return e.code;
  return 'UNKNOWN';
}

/** Tuning from the Ingress's nginx.ingress.kubernetes.io/* annotations on top of the defaults. */
export function tuningFor(spec: IngressSpec | undefined): IngressTuning {
  const t: IngressTuning = { ...INGRESS_NGINX_DEFAULTS };
  const o = spec?.options ?? {};
  const secs = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new LabError('LAB_BAD_MANIFEST', `Ingress/${spec!.name}: ${name}="${v}" is not a whole number of seconds`);
    return Number(v) * 1000;
  };
  if (o.nextUpstream !== undefined) t.nextUpstream = new Set(o.nextUpstream.split(/\s+/).filter(Boolean));
  if (o.nextUpstreamTries !== undefined) {
    if (!/^\d+$/.test(o.nextUpstreamTries)) throw new LabError('LAB_BAD_MANIFEST', `Ingress/${spec!.name}: proxy-next-upstream-tries="${o.nextUpstreamTries}"`);
    t.tries = Number(o.nextUpstreamTries) || Number.MAX_SAFE_INTEGER; // nginx: 0 means unlimited
  }
  t.connectTimeoutMs = secs(o.connectTimeoutS, 'proxy-connect-timeout') ?? t.connectTimeoutMs;
  t.readTimeoutMs = secs(o.readTimeoutS, 'proxy-read-timeout') ?? t.readTimeoutMs;
  t.sendTimeoutMs = secs(o.sendTimeoutS, 'proxy-send-timeout') ?? t.sendTimeoutMs;
  return t;
}

/** Ingress rules → a Router (host match, Exact/Prefix paths, longest path wins), as ingress-nginx orders them. */
export function ingressRouter(spec: IngressSpec, backendFor: (service: string, port: number | string) => Backend | undefined): Router {
  const matches = (pathType: string, rulePath: string, path: string) => {
    if (pathType === 'Exact') return path === rulePath;
    const base = rulePath.replace(/\/+$/, '');
    return base === '' || path === base || path.startsWith(`${base}/`);
  };
  return (req) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const path = (req.url ?? '/').split('?')[0]!;
    let best: { len: number; backend: IngressSpec['rules'][number]['paths'][number]['backend'] } | undefined;
    for (const rule of spec.rules) {
      if (rule.host !== undefined && rule.host !== host) continue;
      for (const p of rule.paths) {
        if (matches(p.pathType, p.path, path) && (!best || p.path.length > best.len)) best = { len: p.path.length, backend: p.backend };
      }
    }
    const chosen = best?.backend ?? spec.defaultBackend;
    return chosen ? backendFor(chosen.service, chosen.port) : undefined;
  };
}

/** How often empty upstream pools are dropped. */
const POOL_SWEEP_MS = 1000;

export class IngressProxy {
  private server: Server | undefined;
  private readonly pools = new Map<string, Pool>();
  /** undici, loaded by listen(): a local cluster starts its pods before its ingress, and they need not wait for its ~100 modules */
  private PoolClass: typeof Pool | undefined;
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  /** which upstream connection each try used: only read when someone listens to the attempts */
  private readonly reuse = new UpstreamReuse();
  url = '';
  /** Upstream connections leave from the listen address, as ingress-nginx's come from its pod IP: the pod tells the path apart by its peer. */
  sourceAddress = '';

  constructor(
    private readonly route: Router,
    private readonly tuning: IngressTuning = INGRESS_NGINX_DEFAULTS,
    private readonly onAttempt?: (a: Attempt) => void,
    private readonly profile?: L7Profile,
  ) {}

  /** `source` is where upstream connections leave from (default the listen address). */
  async listen(host: string, port: number, source = host): Promise<void> {
    this.PoolClass ??= (await import('undici')).Pool;
    return new Promise((resolve, reject) => {
      const server = createServer((req, res) => { void this.handle(req, res); });
      server.keepAliveTimeout = this.tuning.clientKeepaliveTimeoutMs;
      const track = (s: Socket) => { this.sockets.add(s); s.once('close', () => this.sockets.delete(s)); };
      server.on('connection', track);
      server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => proxyUpgrade({ route: this.route, connectTimeoutMs: this.tuning.connectTimeoutMs, tries: this.tuning.tries, onAttempt: this.onAttempt }, req, socket, head, track));
      server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new LabError('LAB_PORT_TAKEN', `${host}:${port} (ingress) is already in use`) : e));
      server.listen({ host, port, exclusive: true }, () => {
        this.sourceAddress = source;
        const a = server.address();
        this.url = `http://${host}:${a && typeof a === 'object' ? a.port : port}`;
        resolve();
      });
      this.server = server;
      this.sweeper = setInterval(() => this.sweep(), POOL_SWEEP_MS);
      this.sweeper.unref();
      if (this.onAttempt) this.reuse.start();
    });
  }

  /** Origins (pod ip:port) the proxy holds a connection pool for. */
  poolOrigins(): string[] {
    return [...this.pools.keys()];
  }

  /**
   * Drops every pool with no connection and nothing queued or running. A pod that is gone leaves
   * such a pool behind (its sockets closed with it) and would otherwise be kept for the proxy's
   * life; a live pod whose idle connections timed out just gets a new pool on its next request.
   */
  private sweep(): void {
    for (const [origin, p] of this.pools) {
      const s = p.stats;
      if (s.connected > 0 || s.size > 0) continue;
      this.pools.delete(origin);
      void p.close().catch(() => undefined);
    }
  }

  private pool(ep: Endpoint, portIndex: number): Pool {
    const origin = `http://${ep.ip}:${ep.ports[portIndex]}`;
    let p = this.pools.get(origin);
    if (!p) {
      p = new this.PoolClass!(origin, {
        pipelining: 1,
        connect: { timeout: this.tuning.connectTimeoutMs },
        ...(this.sourceAddress ? { localAddress: this.sourceAddress } : {}),
        headersTimeout: this.tuning.readTimeoutMs,
        bodyTimeout: this.tuning.readTimeoutMs,
        keepAliveTimeout: this.tuning.upstreamKeepaliveTimeoutMs,
        keepAliveMaxTimeout: this.tuning.upstreamKeepaliveTimeoutMs,
        // nginx ignores the upstream's "Keep-Alive: timeout=5" hint; undici would honour it
        // (min(hint − threshold, max)). A threshold of −timeout makes the min always the 60 s.
        keepAliveTimeoutThreshold: -this.tuning.upstreamKeepaliveTimeoutMs,
        maxRequestsPerClient: this.tuning.upstreamKeepaliveRequests,
      });
      this.pools.set(origin, p);
    }
    return p;
  }

  private readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => { size += c.length; if (size <= this.tuning.clientMaxBodyBytes) chunks.push(c); });
      req.on('end', () => resolve(size > this.tuning.clientMaxBodyBytes ? 'too-large' : Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  private upstreamHeaders(req: IncomingMessage): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    const client = req.socket.remoteAddress ?? '';
    out['x-request-id'] = randomBytes(16).toString('hex');
    out['x-real-ip'] = client;
    out['x-forwarded-for'] = client;
    out['x-forwarded-host'] = req.headers.host ?? '';
    out['x-forwarded-port'] = String(req.socket.localPort ?? '');
    out['x-forwarded-proto'] = 'http';
    out['x-scheme'] = 'http';
    return out;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let body: Buffer | 'too-large';
    try { body = await this.readBody(req); } catch { res.destroy(); return; }
    if (body === 'too-large') { nginxPage(res, 413); return; }
    const backend = this.route(req);
    if (!backend) { nginxPage(res, 404); return; }
    const aborter = new AbortController();
    res.once('close', () => { if (!res.writableFinished) aborter.abort(); }); // proxy_ignore_client_abort off
    const headers = this.upstreamHeaders(req);
    const requestId = headers['x-request-id'] as string;
    const tried = new Set<string>();
    const l7 = this.profile;
    let failure = 502;
    let kind: FailureKind | 'none' = 'none';
    // a failed try is reported once it is known whether another try follows (`last`)
    let failed: Attempt | undefined;
    const report = (last: boolean) => { if (failed) this.onAttempt?.({ ...failed, last }); failed = undefined; };
    // Envoy's route timeout covers every try and back-off (router_filter docs); one try gets all of it.
    const deadline = Date.now() + this.tuning.readTimeoutMs;
    let attempt = 1;
    for (; attempt <= this.tuning.tries; attempt++) {
      if (l7 && attempt > 1) {
        await new Promise((r) => setTimeout(r, l7.backoffMs(attempt - 1)));
        if (aborter.signal.aborted) return;
        if (Date.now() >= deadline) { failure = l7.status('timeout'); kind = 'timeout'; break; }
      }
      const ep = l7 ? l7.pick(backend.view, tried) : backend.view.pickRoundRobin(tried);
      if (!ep) { if (attempt === 1) failure = l7 ? l7.status('none') : 503; break; }
      report(false);
      tried.add(ep.pod);
      this.reuse.expect(requestId);
      try {
        const up = await this.pool(ep, backend.portIndex).request({
          method: method as 'GET', path, headers, body: body.length > 0 ? body : undefined, signal: aborter.signal,
          ...(l7 && attempt > 1 ? { headersTimeout: Math.max(1, deadline - Date.now()) } : {}),
        });
        const use = used(this.reuse.take(requestId));
        if (l7 && attempt < this.tuning.tries && l7.retryOnStatus(up.statusCode, body.length)) {
          await up.body.dump().catch(() => undefined); // a retried response never reaches the client
          failed = { method, path, pod: ep.pod, sent: true, outcome: up.statusCode, ...use };
          failure = up.statusCode;
          kind = 'none';
          continue;
        }
        this.onAttempt?.({ method, path, pod: ep.pod, sent: true, outcome: up.statusCode, ...use, last: true });
        const outHeaders: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = v;
        res.writeHead(up.statusCode, outHeaders);
        try {
          for await (const chunk of up.body) res.write(chunk);
          res.end();
        } catch {
          res.destroy(); // the upstream broke mid-body: nginx can only cut the client connection
        }
        return;
      } catch (err) {
        const use = this.reuse.take(requestId); // taken on every path: an id left expected would stay in the map
        if (aborter.signal.aborted) return;
        const code = errCode(err);
        const sent = !CONNECT_ERRORS.has(code);
        const timedOut = TIMEOUT_ERRORS.has(code);
        kind = !sent ? 'connect' : timedOut ? 'timeout' : 'reset';
        let retry: boolean;
        if (l7) {
          failure = l7.status(kind);
          retry = l7.mayRetry(method, sent, kind, body.length);
        } else {
          failure = timedOut ? 504 : 502;
          retry = this.tuning.nextUpstream.has(timedOut ? 'timeout' : 'error') && !(sent && NON_IDEMPOTENT.has(method));
        }
        failed = { method, path, pod: ep.pod, sent, outcome: code, ...used(use) };
        if (!retry) break;
      } finally {
        l7?.release(ep);
      }
    }
    report(true);
    if (l7) l7.page(res, failure, kind, Math.min(attempt, this.tuning.tries) > 1); else nginxPage(res, failure);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweeper);
      this.reuse.stop();
      if (this.server) {
        const closed = new Promise<void>((r) => this.server!.close(() => r()));
        this.server.closeAllConnections();
        for (const s of this.sockets) s.destroy();
        await closed;
      }
      await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    })();
    return this.closing;
  }
}
