import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { LaggedView } from './endpoints.js';

// WebSocket through the in-lab ingress, as ingress-nginx proxies it: its nginx.tmpl sets
// `proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;` on
// every location, so an Upgrade request is passed to one upstream (the same round-robin pick, a
// refused connect moves to the next endpoint) and the bytes are then spliced both ways until
// either side closes. No library here does nginx's pick-and-retry on a raw upgrade, hence by hand.

/** What the upgrade path needs of the ingress (structural, so this file does not import ingress.ts back). */
export interface UpgradeRoute {
  route(req: IncomingMessage): { view: LaggedView; portIndex: number } | undefined;
  connectTimeoutMs: number;
  tries: number;
  onAttempt?(a: { method: string; path: string; pod: string; sent: boolean; outcome: number | string }): void;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function reject(socket: Socket, status: number, title: string): void {
  socket.end(`HTTP/1.1 ${status} ${title}\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

function requestHead(req: IncomingMessage): string {
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  lines.push(`X-Forwarded-For: ${req.socket.remoteAddress ?? ''}`, 'X-Forwarded-Proto: http');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Handles one http.Server 'upgrade' event; `track` registers every socket so the proxy's close() can end it. */
export function proxyUpgrade(r: UpgradeRoute, req: IncomingMessage, client: Socket, head: Buffer, track: (s: Socket) => void): void {
  const tuning = r, onAttempt = r.onAttempt?.bind(r);
  client.on('error', () => client.destroy());
  const backend = r.route(req);
  if (!backend) { reject(client, 404, 'Not Found'); return; }
  const tried = new Set<string>();
  const attempt = (n: number): void => {
    const ep = backend.view.pickRoundRobin(tried);
    if (!ep) { reject(client, n === 1 ? 503 : 502, n === 1 ? 'Service Temporarily Unavailable' : 'Bad Gateway'); return; }
    tried.add(ep.pod);
    const up = connect({ host: ep.ip, port: ep.ports[backend.portIndex]!, noDelay: true });
    track(up);
    const timer = setTimeout(() => up.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), tuning.connectTimeoutMs);
    up.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (up.readyState !== 'opening' && up.bytesWritten > 0) { client.destroy(); return; } // cut after the upgrade
      onAttempt?.({ method: req.method ?? 'GET', path: req.url ?? '/', pod: ep.pod, sent: false, outcome: err.code ?? 'UNKNOWN' });
      if (CONNECT_ERRORS.has(err.code ?? '') && n < tuning.tries) attempt(n + 1);
      else reject(client, 502, 'Bad Gateway');
    });
    up.once('connect', () => {
      clearTimeout(timer);
      onAttempt?.({ method: req.method ?? 'GET', path: req.url ?? '/', pod: ep.pod, sent: true, outcome: 101 });
      up.write(requestHead(req));
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
      up.once('close', () => client.destroy());
      client.once('close', () => up.destroy());
    });
  };
  attempt(1);
}
