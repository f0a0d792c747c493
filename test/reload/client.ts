import { request as httpRequest, type Agent } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  ms: number;
  reusedSocket: boolean;
  peerFingerprint?: string;
}

export const SERVICE_SCRIPT = 'dist/service/main.js';

/** One real HTTP(S) request, bounded by timeoutMs. */
export function get(url: string, opts: { localAddress?: string; agent?: Agent | HttpsAgent | false; timeoutMs?: number; ca?: string } = {}): Promise<Res> {
  const t0 = performance.now();
  const u = new URL(url);
  const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = fn(u, {
      method: 'GET',
      agent: opts.agent ?? false,
      localAddress: opts.localAddress,
      rejectUnauthorized: false,
      timeout: opts.timeoutMs ?? 10_000,
    } as any, (res) => {
      const chunks: Buffer[] = [];
      const peer = (res.socket as any).getPeerCertificate?.();
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: any = text;
        try { body = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - t0, reusedSocket: req.reusedSocket, peerFingerprint: peer?.fingerprint256 });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 10_000} ms: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

// Polls until pred holds (bounded); sleep is for pacing only.
export { poll as until, sleep } from '../helpers/wait.js';
