import { connect, createServer, type Server, type Socket } from 'node:net';
import type { buildConnector } from 'undici';
import type { LaggedView } from './endpoints.js';

// The L4 path, as kube-proxy in iptables mode gives it: each NEW connection is DNAT-ed to an
// endpoint picked at random from the rules the proxy last synced (our lagged view), and conntrack
// keeps it pinned there. So a client reaches a pod directly: a closed listener answers with a real
// RST (ECONNREFUSED) and a killed pod resets the connection (ECONNRESET).

/** undici's `connect` option (Client/Pool/Agent): called once per new connection. */
export type Connector = buildConnector.connector;

/** kube-proxy installs a REJECT rule for a Service without endpoints: the client sees ECONNREFUSED. */
function noEndpoints(service: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ECONNREFUSED: Service "${service}" has no endpoints in the routing view`), {
    code: 'ECONNREFUSED', errno: -111, syscall: 'connect',
  });
}

/** A connector for undici (Client/Pool/Agent `connect` option) that routes each new connection through the lagged view. */
export function l4Connector(view: LaggedView, portIndex = 0, onConnect?: (pod: string) => void): Connector {
  return (_opts, callback) => {
    const ep = view.pickRandom();
    if (!ep) { queueMicrotask(() => callback(noEndpoints(view.service), null)); return; }
    const socket = connect({ host: ep.ip, port: ep.ports[portIndex]!, noDelay: true, keepAlive: true });
    let settled = false;
    const onError = (err: Error) => { if (!settled) { settled = true; callback(err, null); } };
    socket.once('error', onError);
    socket.once('connect', () => {
      if (settled) return;
      settled = true;
      socket.removeListener('error', onError);
      onConnect?.(ep.pod);
      callback(null, socket);
    });
  };
}

/**
 * Passes a failure on as a reset, as a dead endpoint behind iptables would. A socket already
 * half-closed (end() was called: the pipe carried the other side's FIN) cannot be reset: libuv
 * refuses with EINVAL and Node then never closes the handle, so the lab process could never exit
 * (it spins in its exit cleanup). Such a socket is destroyed instead.
 */
function reset(s: Socket): void {
  if (s.destroyed) return;
  if (s.writableEnded) s.destroy(); else s.resetAndDestroy();
}

/**
 * A Service address for processes that dial a Service by DNS name (REDIS_URL=redis://redis:6379):
 * a TCP forwarder on the Service's local address that picks an endpoint per connection from the
 * lagged view and splices bytes both ways. The one difference from iptables: the client's connect
 * always succeeds here, and a dead endpoint shows up as a reset right after it.
 */
export class ServiceForwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;

  constructor(readonly address: string, readonly port: number, private readonly view: LaggedView, private readonly portIndex: number) {}

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((client) => this.forward(client));
      server.once('error', reject);
      server.listen({ host: this.address, port: this.port, exclusive: true }, () => { server.removeListener('error', reject); resolve(); });
      this.server = server;
    });
  }

  private forward(client: Socket): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    const ep = this.view.pickRandom();
    if (!ep) { client.resetAndDestroy(); return; }
    const upstream = connect({ host: ep.ip, port: ep.ports[this.portIndex]!, noDelay: true });
    this.sockets.add(upstream);
    upstream.once('close', () => this.sockets.delete(upstream));
    upstream.once('error', () => reset(client));
    client.once('error', () => reset(upstream));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      for (const s of this.sockets) s.destroy();
      if (!this.server) { resolve(); return; }
      this.server.close(() => resolve());
    });
    return this.closing;
  }
}
