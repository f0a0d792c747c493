import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

// Which upstream connection a proxied try went out on, and how long that connection had been idle:
// the two facts that tell a keep-alive race (a reused connection, idle for about the app's keep-alive
// timeout, closed by the app while the request was on its way) from a rollout's failure. undici
// chooses the connection inside its Pool and does not return it, so this reads undici's own
// diagnostics channels: `undici:client:sendHeaders` names the socket a request is written to,
// `undici:request:trailers` / `undici:request:error` mark when the socket went idle again.
// The channels are process-wide; a try is matched by the `x-request-id` the proxy sets on it, and only
// ids the proxy announced are kept.

export interface UpstreamUse {
  /** the connection had carried a request before this one */
  reused: boolean;
  /** ms since the connection's previous response ended (0 on a new connection) */
  idleMs: number;
}

interface SocketState { requests: number; idleSince: number }

const REQUEST_ID = /\r\nx-request-id: ([0-9a-f]+)\r\n/;

export class UpstreamReuse {
  private readonly sockets = new WeakMap<Socket, SocketState>();
  private readonly requestSocket = new WeakMap<object, Socket>();
  private readonly expected = new Map<string, UpstreamUse | null>();
  private active = false;

  private readonly onSend = (m: unknown): void => {
    const { request, headers, socket } = m as { request: object; headers: string; socket: Socket };
    let s = this.sockets.get(socket);
    const now = performance.now();
    const use: UpstreamUse = s ? { reused: s.requests > 0, idleMs: s.requests > 0 ? Math.round(now - s.idleSince) : 0 } : { reused: false, idleMs: 0 };
    if (!s) this.sockets.set(socket, (s = { requests: 0, idleSince: now }));
    s.requests++;
    this.requestSocket.set(request, socket);
    const id = REQUEST_ID.exec(headers)?.[1];
    if (id !== undefined && this.expected.has(id)) this.expected.set(id, use);
  };

  private readonly onDone = (m: unknown): void => {
    const socket = this.requestSocket.get((m as { request: object }).request);
    const s = socket && this.sockets.get(socket);
    if (s) s.idleSince = performance.now();
  };

  start(): void {
    if (this.active) return;
    this.active = true;
    subscribe('undici:client:sendHeaders', this.onSend);
    subscribe('undici:request:trailers', this.onDone);
    subscribe('undici:request:error', this.onDone);
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    unsubscribe('undici:client:sendHeaders', this.onSend);
    unsubscribe('undici:request:trailers', this.onDone);
    unsubscribe('undici:request:error', this.onDone);
    this.expected.clear();
  }

  /** The proxy is about to send a try carrying this x-request-id. */
  expect(id: string): void {
    if (this.active) this.expected.set(id, null);
  }

  /** The connection the last try with this id went out on; undefined when it never reached a connection (connect error). */
  take(id: string): UpstreamUse | undefined {
    const use = this.expected.get(id) ?? undefined;
    this.expected.delete(id);
    return use;
  }
}
