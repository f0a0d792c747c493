import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ServiceMetrics } from './metrics.js';

/** How a client connection ended during shutdown: idle keep-alive closed by us, closed after a response (Connection: close or the peer), or destroyed. */
export type CloseReason = 'idle' | 'after-response' | 'forced';

interface SocketState {
  busy: number;
  /** epoch ms the socket last became idle: its opening, or the end of its last response */
  idleSince: number;
  closing?: CloseReason;
}

export interface InFlightRequest {
  readonly method: string;
  readonly url: string;
  readonly startedAt: number;
  readonly res: ServerResponse;
}

/** A response finished after the first signal: what the evidence quotes as the first and last request answered. */
export interface AnsweredRequest {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** epoch ms the response finished */
  readonly at: number;
}

const PLATFORM_PATHS = /^\/(readyz|healthz|metrics)(\?|$)/;

export interface DrainCounts {
  idle: number;
  afterResponse: number;
  forced: number;
}

/**
 * Tracks client sockets and in-flight requests of the service's servers. Node keeps the same
 * knowledge privately (closeIdleConnections), but the levers need it per socket: to close idle
 * keep-alive sockets spread over a jitter window, to count what was drained versus cut, and to
 * name what was still open when the guardian fires.
 */
export class ConnectionTracker {
  readonly #sockets = new Map<Socket, SocketState>();
  readonly #inFlight = new Set<InFlightRequest>();
  readonly #metrics: ServiceMetrics;
  readonly #emptyWaiters = new Set<() => void>();
  /** Counting only starts at shutdown: before that a closed keep-alive socket is business as usual. */
  #counting = false;
  readonly counts: DrainCounts = { idle: 0, afterResponse: 0, forced: 0 };
  /** Responses finished since counting started (the signal); first and last kept, the rest counted. */
  readonly answeredAfterSignal: { count: number; first?: AnsweredRequest; last?: AnsweredRequest } = { count: 0 };

  constructor(metrics: ServiceMetrics) {
    this.#metrics = metrics;
    metrics.observe(this);
  }

  /** `event` is 'connection' for HTTP, 'secureConnection' for an HTTPS server (the socket requests see). */
  watch(server: Server, event: 'connection' | 'secureConnection' = 'connection'): void {
    server.on(event, (socket: Socket) => {
      this.#sockets.set(socket, { busy: 0, idleSince: Date.now() });
      socket.once('close', () => this.#socketClosed(socket));
    });
  }

  /** Called once per request at its start; the request counts as in flight until its response closes. */
  begin(req: IncomingMessage, res: ServerResponse, onDone: (r: InFlightRequest) => void): InFlightRequest {
    const r: InFlightRequest = { method: req.method ?? '?', url: req.url ?? '?', startedAt: Date.now(), res };
    this.#inFlight.add(r);
    const st = this.#sockets.get(req.socket);
    if (st) st.busy++;
    res.once('close', () => {
      this.#inFlight.delete(r);
      if (this.#counting && res.writableFinished) this.#answered(r, res.statusCode);
      if (st && --st.busy === 0) st.idleSince = Date.now();
      onDone(r);
      this.#checkEmpty();
    });
    return r;
  }

  get openSockets(): number {
    return this.#sockets.size;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  inFlight(): InFlightRequest[] {
    return [...this.#inFlight];
  }

  startCounting(): void {
    this.#counting = true;
  }

  /** Sockets with no request in flight right now. */
  idleSockets(): Socket[] {
    return [...this.#sockets].filter(([, st]) => st.busy === 0).map(([s]) => s);
  }

  /** When `socket` last became idle (epoch ms); undefined once it is gone. */
  idleSince(socket: Socket): number | undefined {
    return this.#sockets.get(socket)?.idleSince;
  }

  /** Marks sockets that a server-side idle close is about to end, so the close is counted as such. */
  markIdleClose(sockets: Socket[]): void {
    for (const s of sockets) {
      const st = this.#sockets.get(s);
      if (st) st.closing = 'idle';
    }
  }

  /** Destroys `socket` if it is still idle; a socket that got a request meanwhile closes after that response. */
  closeIfIdle(socket: Socket): boolean {
    const st = this.#sockets.get(socket);
    if (!st || st.busy > 0 || socket.destroyed) return false;
    st.closing = 'idle';
    socket.destroy();
    return true;
  }

  /** Puts `Connection: close` on every response not yet started, so its socket closes after it. */
  closeAfterCurrentResponses(): void {
    for (const r of this.#inFlight) {
      if (!r.res.headersSent) r.res.setHeader('connection', 'close');
    }
  }

  /** Destroys every socket still open; returns how many and how many had a request in flight. */
  forceCloseAll(): { count: number; withRequest: number } {
    let count = 0;
    let withRequest = 0;
    for (const [socket, st] of this.#sockets) {
      st.closing = 'forced';
      if (st.busy > 0) withRequest++;
      count++;
      socket.destroy();
    }
    this.#metrics.socketsForceClosed.inc(count);
    return { count, withRequest };
  }

  /** Resolves when no socket is open and no request is in flight. Bounded by the caller's guardian. */
  whenEmpty(): Promise<void> {
    if (this.#isEmpty()) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.add(resolve));
  }

  #isEmpty(): boolean {
    return this.#sockets.size === 0 && this.#inFlight.size === 0;
  }

  #checkEmpty(): void {
    if (!this.#isEmpty()) return;
    for (const w of this.#emptyWaiters) w();
    this.#emptyWaiters.clear();
  }

  #answered(r: InFlightRequest, status: number): void {
    // Probes and scrapes are the platform talking, not clients; the evidence is about client traffic.
    if (PLATFORM_PATHS.test(r.url)) return;
    const a = this.answeredAfterSignal;
    const entry: AnsweredRequest = { method: r.method, url: r.url, status, at: Date.now() };
    a.count++;
    a.first ??= entry;
    a.last = entry;
  }

  #socketClosed(socket: Socket): void {
    const st = this.#sockets.get(socket);
    this.#sockets.delete(socket);
    if (this.#counting && st) {
      const how: CloseReason = st.closing ?? 'after-response';
      if (how === 'idle') this.counts.idle++;
      else if (how === 'after-response') this.counts.afterResponse++;
      else this.counts.forced++;
      if (how !== 'forced') this.#metrics.connectionsDrained.labels(how).inc();
    }
    this.#checkEmpty();
  }
}
