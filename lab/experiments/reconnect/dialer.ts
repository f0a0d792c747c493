import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { LabError } from '../../../common/errors.js';
import { l4Connector } from '../../targets/local/l4.js';
import type { LaggedView } from '../../targets/local/endpoints.js';

// One new connection through the local target's L4 path (a random endpoint of the lagged view, as
// kube-proxy picks), then a TLS handshake on it for the HTTPS variants. Session tickets are never
// offered back, so every reconnect is a full handshake: what a fleet of restarted clients costs.

export interface Dialed {
  socket: Socket | TLSSocket;
  pod: string;
  tcpMs: number;
  /** full TLS handshake time; undefined on plain HTTP */
  tlsMs?: number;
}

export type Dialer = () => Promise<Dialed>;

export const DIAL_TIMEOUT_MS = 5000;

const timeoutError = (what: string) => Object.assign(new Error(`${what} took longer than ${DIAL_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' });

export function l4Dialer(view: LaggedView, portIndex: number, tls: boolean): Dialer {
  let lastPod = '';
  // The connector reports the endpoint synchronously right before its callback.
  const connector = l4Connector(view, portIndex, (pod) => { lastPod = pod; });
  return () => new Promise<Dialed>((resolve, reject) => {
    const t0 = performance.now();
    let settled = false;
    let sock: Socket | undefined;
    const timer = setTimeout(() => fail(timeoutError(tls ? 'TCP connect + TLS handshake' : 'TCP connect')), DIAL_TIMEOUT_MS);
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock?.destroy();
      reject(err);
    };
    connector({ hostname: 'service', host: 'service', protocol: tls ? 'https:' : 'http:', port: '', servername: undefined } as never, (err, raw) => {
      if (err || !raw) { fail(err ?? new LabError('LAB_TIMEOUT', 'connector returned no socket')); return; }
      sock = raw as Socket;
      if (settled) { sock.destroy(); return; }
      const pod = lastPod;
      const tcpMs = performance.now() - t0;
      if (!tls) { settled = true; clearTimeout(timer); resolve({ socket: sock, pod, tcpMs }); return; }
      const t1 = performance.now();
      const secure = tlsConnect({ socket: sock, rejectUnauthorized: false });
      sock = secure;
      secure.once('error', fail);
      secure.once('secureConnect', () => {
        if (settled) { secure.destroy(); return; }
        settled = true;
        clearTimeout(timer);
        secure.removeListener('error', fail);
        resolve({ socket: secure, pod, tcpMs, tlsMs: performance.now() - t1 });
      });
    });
  });
}
