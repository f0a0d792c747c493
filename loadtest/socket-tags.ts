import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

// Which connection carried an attempt, as undici's own diagnostics channels report it
// (https://undici.nodejs.org/#/docs/api/DiagnosticsChannel): `undici:client:connected` when a
// connection opens, `undici:client:sendHeaders` with the socket just before a request is written
// to it. undici hands its request API no socket, so each attempt carries a header with its id and
// the sendHeaders message (which includes the header block) ties the two together. The channels
// are process-wide: the in-lab ingress proxy is undici too and forwards the header upstream, so
// the first sendHeaders of an id (the generator's own write, which causes the proxy's) wins.

export const ATTEMPT_HEADER = 'x-lab-attempt';

/** The connection one attempt was written on. */
export interface AttemptSocket {
  /** the connection had carried a request before this one (with one request at a time per connection, a completed one) */
  reused: boolean;
  /** ms from the connection's opening to this attempt's write */
  ageMs: number;
  /** address:port the connection was dialled to (a pod on the L4 path, the proxy on the ingress path) */
  peer: string;
  socket: Socket;
  bytesReadAtSend: number;
}

const nowMs = () => performance.timeOrigin + performance.now();
const opened = new WeakMap<Socket, { at: number; requests: number }>();
/** id → its socket once written, null while not yet written (only ids begun here are tracked) */
const attempts = new Map<string, AttemptSocket | null>();
const ID_LINE = new RegExp(`(?:^|\\n)${ATTEMPT_HEADER}: ([0-9a-z]+)\\r\\n`);
let nextId = 0;
let subscribed = false;

function listen(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:client:connected', (m) => {
    const { socket } = m as { socket: Socket };
    opened.set(socket, { at: nowMs(), requests: 0 });
  });
  subscribe('undici:client:sendHeaders', (m) => {
    const { headers, socket } = m as { headers: string; socket: Socket };
    const id = ID_LINE.exec(headers)?.[1];
    if (id === undefined || attempts.get(id) !== null) return;
    let s = opened.get(socket);
    if (!s) { s = { at: nowMs(), requests: 0 }; opened.set(socket, s); }
    attempts.set(id, {
      reused: s.requests > 0, ageMs: nowMs() - s.at, peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      socket, bytesReadAtSend: socket.bytesRead,
    });
    s.requests++;
  });
}

/** A new attempt id, to send as the ATTEMPT_HEADER value. */
export function beginAttempt(): string {
  listen();
  const id = (nextId++).toString(36);
  attempts.set(id, null);
  return id;
}

/** The attempt's connection (undefined: the request was never written to one), forgetting the id. */
export function endAttempt(id: string): AttemptSocket | undefined {
  const a = attempts.get(id) ?? undefined;
  attempts.delete(id);
  return a;
}

/** Whether any byte arrived on the attempt's connection after its request was written. */
export function responseByteArrived(a: AttemptSocket | undefined): boolean {
  return a !== undefined && a.socket.bytesRead > a.bytesReadAtSend;
}
