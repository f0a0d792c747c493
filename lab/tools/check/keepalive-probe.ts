import { connect, type Socket } from 'node:net';
import { LabError } from '../../../common/errors.js';
import { proxyIdleTimeout } from '../doctor/idle-timeouts.js';

// How the app treats an idle keep-alive connection, read off the wire: one request on a fresh
// connection, then the socket stays idle until the server closes it or the bound passes. Two numbers:
// the `Keep-Alive: timeout=<s>` hint the server announces (Node sends it; many servers don't), and
// when it really closed. A proxy that keeps the upstream connection idle longer than the app (its
// idle timeout: lab/tools/doctor/idle-timeouts.ts) races the app's close and answers 502.
// Raw TCP rather than an HTTP client: every client pool has an idle timeout of its own (Node's Agent
// even honours the hint), and the client must not be the side that closes first.

export interface KeepAliveProbe {
  /** the `timeout=` of the response's Keep-Alive header, seconds; undefined when absent */
  hintS: number | undefined;
  /** ms from the end of the response to the server's close; undefined = still open at the bound */
  closedAfterMs: number | undefined;
  /** how long the probe waited idle */
  boundMs: number;
  /** the response said Connection: close (no reuse at all) */
  connectionClose: boolean;
  status: number;
}

const HEADER_CAP = 64 * 1024;

/** `timeout=` of a Keep-Alive header value (RFC 9112 §9.3 leaves the syntax to the header: `timeout=5, max=100`). */
export function keepAliveHint(value: string | undefined): number | undefined {
  const m = value ? /(?:^|[,;\s])timeout\s*=\s*"?(\d+)/i.exec(value) : null;
  return m ? Number(m[1]) : undefined;
}

interface Head { status: number; headers: Map<string, string> }

function parseHead(buf: Buffer): Head | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  return { status, headers };
}

/** The body is complete: by Content-Length, or the chunked terminator; a 1xx/204/304 or HEAD has none. */
function bodyDone(head: Head, body: Buffer): boolean {
  if (head.status === 204 || head.status === 304) return true;
  const len = head.headers.get('content-length');
  if (len !== undefined) return body.length >= Number(len);
  if (/chunked/i.test(head.headers.get('transfer-encoding') ?? '')) return body.subarray(-5).toString('latin1') === '0\r\n\r\n';
  return false; // read-until-close: the close is the end of the body, not an idle timeout
}

/**
 * GET `path` on `host:port` over one keep-alive connection, then wait idle up to `boundMs` for the
 * server to close it. Rejects (LAB_TIMEOUT) when no whole response arrives within `responseMs`.
 */
export function probeKeepAlive(o: { host: string; port: number; path?: string; hostHeader?: string; boundMs: number; responseMs?: number }): Promise<KeepAliveProbe> {
  const responseMs = o.responseMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: o.host, port: o.port, noDelay: true });
    let buf = Buffer.alloc(0);
    let head: Head | undefined;
    let idleSince = 0;
    let settled = false;
    const finish = (fn: () => void) => { if (settled) return; settled = true; clearTimeout(timer); socket.destroy(); fn(); };
    let timer = setTimeout(() => finish(() => reject(new LabError('LAB_TIMEOUT', `no complete response from ${o.host}:${o.port}${o.path ?? '/'} within ${responseMs} ms`))), responseMs);
    const result = (closedAfterMs: number | undefined): KeepAliveProbe => ({
      hintS: keepAliveHint(head!.headers.get('keep-alive')), closedAfterMs, boundMs: o.boundMs,
      connectionClose: /\bclose\b/i.test(head!.headers.get('connection') ?? ''), status: head!.status,
    });
    socket.once('connect', () => {
      socket.write(`GET ${o.path ?? '/'} HTTP/1.1\r\nHost: ${o.hostHeader ?? `${o.host}:${o.port}`}\r\nConnection: keep-alive\r\nUser-Agent: deploy-loss-lab-keepalive-probe\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      if (idleSince) return; // bytes after the response: not idle, but nothing to do with them
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > HEADER_CAP && !head) { finish(() => reject(new LabError('LAB_TIMEOUT', `no complete response head from ${o.host}:${o.port} within ${HEADER_CAP} bytes`))); return; }
      head ??= parseHead(buf);
      if (!head || !bodyDone(head, buf.subarray(buf.indexOf('\r\n\r\n') + 4))) return;
      idleSince = performance.now();
      clearTimeout(timer);
      timer = setTimeout(() => finish(() => resolve(result(undefined))), o.boundMs);
    });
    const closed = () => {
      if (settled) return;
      if (!idleSince) { finish(() => reject(new LabError('LAB_TIMEOUT', `${o.host}:${o.port} closed the connection before a complete response`))); return; }
      const ms = Math.round(performance.now() - idleSince);
      finish(() => resolve(result(ms)));
    };
    socket.once('end', closed);
    socket.once('close', closed);
    socket.once('error', (err) => { if (!idleSince) finish(() => reject(err)); else closed(); });
  });
}

/** How long the probe waits idle before the load starts: enough to see Node's old 5 s close; beyond it the hint decides. */
export const KEEPALIVE_PROBE_BOUND_MS = 10_000;

/**
 * The note `check` writes when the app's idle timeout is not longer than the proxy's in front; undefined
 * when it is (or cannot be shorter than what was seen). `proxy` = the L7 profile's upstream idle timeout.
 */
export function keepAliveNote(p: KeepAliveProbe, proxy: { id: string; seconds: number }): string | undefined {
  const appS = p.closedAfterMs !== undefined ? p.closedAfterMs / 1000 : p.hintS;
  const seen = p.closedAfterMs !== undefined
    ? `closed an idle keep-alive connection ${(p.closedAfterMs / 1000).toFixed(1)} s after its response${p.hintS !== undefined ? ` (announced Keep-Alive: timeout=${p.hintS})` : ''}`
    : p.hintS !== undefined ? `announces Keep-Alive: timeout=${p.hintS} and kept the connection open for the ${p.boundMs / 1000} s the probe waited` : undefined;
  if (p.connectionClose) return undefined; // no reuse at all: nothing to race (and no keep-alive either)
  if (appS === undefined) {
    return `keep-alive: the app kept an idle connection open for the ${p.boundMs / 1000} s the probe waited and announces no Keep-Alive timeout, so check cannot tell whether it outlives ${proxy.id}'s ${proxy.seconds} s; verify its idle timeout is above ${proxy.seconds} s`;
  }
  if (appS > proxy.seconds) return undefined;
  return `keep-alive timeouts out of order: the app ${seen}, but ${proxy.id} keeps an idle upstream connection for reuse ${proxy.seconds} s: the proxy will write requests onto connections the app is closing and answer 502 (POST is never retried), between deploys as well as during them. Fix: raise the app's keep-alive timeout above ${proxy.seconds} s (Node: server.keepAliveTimeout = ${(proxy.seconds + 5) * 1000}, headersTimeout 1 s above it) or lower the proxy's (docs/runbook.md, "502s between deploys")`;
}

/** What check's hook learned: the note (when there is one) and the app's measured idle close, if seen. */
export interface KeepAliveFinding { note: string | undefined; closeMs: number | undefined }

/** check's hook: probe one pod directly (the app, not the proxy) and compare with ingress-nginx, the local L7 path. */
export async function keepAliveProbeNote(pod: { host: string; port: number } | undefined, routes: ReadonlyArray<{ method: string; path: string }>): Promise<KeepAliveFinding> {
  if (!pod) return { note: undefined, closeMs: undefined };
  const path = routes.find((r) => r.method === 'GET')?.path ?? '/';
  try {
    const p = await probeKeepAlive({ host: pod.host, port: pod.port, path, boundMs: KEEPALIVE_PROBE_BOUND_MS });
    return { note: keepAliveNote(p, { id: 'ingress-nginx', seconds: proxyIdleTimeout('ingress-nginx')!.seconds }), closeMs: p.connectionClose ? undefined : p.closedAfterMs };
  } catch (e) {
    return { note: `keep-alive: could not probe ${pod.host}:${pod.port}${path} (${(e as Error).message})`, closeMs: undefined };
  }
}
