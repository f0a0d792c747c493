import type { Socket } from 'node:net';
import { Client } from 'undici';
import { classifyError, classifyStatus, type ErrorClass } from '../../../loadtest/classes.js';
import type { Dialed, Dialer } from './dialer.js';

// One long-lived client of a Service: a single keep-alive connection it re-dials the moment the
// server closes it (or after a full-jitter backoff), and a light GET /fast every `paceMs`, never
// two at once (a closed model per client). undici does the HTTP; this class owns the connection,
// handing undici the socket it already dialed, so the reconnect happens at the close and not at
// the next request.

export const CLIENT_STATES = { Idle: 'idle', Dialing: 'dialing', Connected: 'connected', Waiting: 'waiting', Closed: 'closed' } as const;
export type ClientState = (typeof CLIENT_STATES)[keyof typeof CLIENT_STATES];

export type ReconnectPolicy = 'immediate' | 'backoff';

export interface ConnEvent {
  t: number;
  /** when the dial started: for a reconnect attempt, the moment the client asked a pod for it */
  dialT: number;
  client: number;
  kind: 'connect' | 'close' | 'fail';
  pod: string;
  /** connect: TCP + TLS time; fail: error code */
  ms?: number;
  tlsMs?: number;
  code?: string;
  /** false for the first connection of the client (its establishment, not a reconnect) */
  reconnect: boolean;
}

export interface Req { t_sched: number; t_end: number; ms: number; class: ErrorClass; pod: string }

export interface ClientSinks { conn(e: ConnEvent): void; req(r: Req): void }

/** A client that cannot connect retries this soon: "at once", yet not a busy loop on a refused port. */
export const IMMEDIATE_RETRY_MS = 100;
/** Full-jitter backoff (AWS architecture blog, "Exponential Backoff And Jitter"): sleep U(0, min(cap, base·2^n)). */
export const BACKOFF = { baseMs: 500, capMs: 8000 } as const;
export const REQUEST_TIMEOUT_MS = 5000;

export class PersistentClient {
  state: ClientState = CLIENT_STATES.Idle;
  private current: Dialed | undefined;
  private waiters: Array<(d: Dialed | undefined) => void> = [];
  private connects = 0;
  private failures = 0;
  private pace: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private inFlight = false;
  private closing: Promise<void> | undefined;
  private readonly http: Client;

  constructor(readonly id: number, private readonly dial: Dialer, private readonly policy: ReconnectPolicy, private readonly sinks: ClientSinks) {
    this.http = new Client('http://service', {
      pipelining: 1, keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS,
      connect: (_opts, cb) => { void this.socket().then((d) => (d ? cb(null, d.socket) : cb(Object.assign(new Error('client closed'), { code: 'UND_ERR_CLOSED' }), null))); },
    });
  }

  get connected(): boolean { return this.state === CLIENT_STATES.Connected; }
  get pod(): string { return this.current?.pod ?? ''; }

  /** Dials once; resolves when connected or the first attempt failed (it keeps retrying). */
  connect(): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiters.push((d) => resolve(Boolean(d)));
      void this.dialNow();
    });
  }

  /** Starts the request loop after `offsetMs`, so N clients spread their requests over the pace. */
  startRequests(paceMs: number, offsetMs: number): void {
    const tick = (at: number) => {
      this.pace = setTimeout(() => {
        if (this.closing) return;
        void this.request(at);
        tick(at + paceMs);
      }, Math.max(0, at - Date.now()));
    };
    tick(Date.now() + offsetMs);
  }

  private async request(tSched: number): Promise<void> {
    if (this.inFlight) return; // closed model: the previous request is still out; this beat is skipped
    this.inFlight = true;
    const pod = this.pod;
    try {
      const res = await this.http.request({ path: '/fast', method: 'GET', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await res.body.dump();
      this.record(tSched, classifyStatus(res.statusCode), pod);
    } catch (err) {
      if (!this.closing) this.record(tSched, classifyError(err), pod);
    } finally {
      this.inFlight = false;
    }
  }

  private record(tSched: number, cls: ErrorClass, pod: string): void {
    const t = Date.now();
    this.sinks.req({ t_sched: tSched, t_end: t, ms: Math.round(t - tSched), class: cls, pod: this.pod || pod });
  }

  /** The socket undici asks for: the one already dialed, or the next one. */
  private socket(): Promise<Dialed | undefined> {
    if (this.closing) return Promise.resolve(undefined);
    const d = this.current;
    if (d && this.state === CLIENT_STATES.Connected && !d.socket.destroyed) return Promise.resolve(d);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async dialNow(): Promise<void> {
    if (this.closing || this.state === CLIENT_STATES.Dialing) return;
    this.state = CLIENT_STATES.Dialing;
    const dialT = Date.now();
    try {
      const d = await this.dial();
      if (this.closing) { d.socket.destroy(); return; }
      this.current = d;
      this.failures = 0;
      this.state = CLIENT_STATES.Connected;
      this.sinks.conn({ t: Date.now(), dialT, client: this.id, kind: 'connect', pod: d.pod, ms: Math.round(d.tcpMs + (d.tlsMs ?? 0)), ...(d.tlsMs !== undefined ? { tlsMs: Math.round(d.tlsMs) } : {}), reconnect: this.connects++ > 0 });
      d.socket.once('close', () => this.onClose(d));
      d.socket.on('error', () => undefined); // the close that follows is what counts
      this.flush(d);
    } catch (err) {
      this.failures++;
      this.state = CLIENT_STATES.Waiting;
      this.sinks.conn({ t: Date.now(), dialT, client: this.id, kind: 'fail', pod: '', code: String((err as NodeJS.ErrnoException).code ?? (err as Error).message), reconnect: this.connects > 0 });
      this.flush(undefined, true);
      this.schedule(this.policy === 'immediate' ? IMMEDIATE_RETRY_MS : this.backoffMs());
    }
  }

  private flush(d: Dialed | undefined, onlyConnectWaiters = false): void {
    if (onlyConnectWaiters && this.connects > 0) return; // undici's waiters wait for a real socket
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w(d);
  }

  private backoffMs(): number {
    return Math.random() * Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** this.failures);
  }

  private onClose(d: Dialed): void {
    if (this.current !== d) return;
    this.current = undefined;
    if (this.closing) return;
    this.sinks.conn({ t: Date.now(), dialT: 0, client: this.id, kind: 'close', pod: d.pod, reconnect: true });
    this.state = CLIENT_STATES.Waiting;
    if (this.policy === 'immediate') void this.dialNow();
    else this.schedule(this.backoffMs());
  }

  private schedule(ms: number): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => { void this.dialNow(); }, ms);
  }

  /** Memoised: stops the pace and the retries, closes the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.pace);
      clearTimeout(this.retry);
      this.state = CLIENT_STATES.Closed;
      this.flush(undefined);
      this.current?.socket.destroy();
      await this.http.destroy().catch(() => undefined);
    })();
    return this.closing;
  }
}
