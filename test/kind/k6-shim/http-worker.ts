import http from 'node:http';
import https from 'node:https';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

// The real HTTP of the shim's k6/http (http.ts): k6's http.request is synchronous, so the script's
// thread sends each request here and blocks on a shared word until this thread has the answer.

export interface WorkerRequest { method: string; url: string; body: string | null; headers: Record<string, string>; timeoutMs: number; reuse: boolean }
export interface WorkerResponse {
  status: number; errorCode: number; error: string; durationMs: number;
  /** time spent connecting, as k6's timings.connecting: 0 on a reused connection */
  connectingMs: number;
  /** response headers with Go's canonical names (X-Pod), as k6 shows them */
  headers: Record<string, string>;
}

/** Go's textproto.CanonicalMIMEHeaderKey for the plain header names the lab reads: x-pod → X-Pod. */
const canonical = (name: string) => name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('-');

// k6's error codes for transport failures (https://grafana.com/docs/k6/latest/javascript-api/error-codes/)
function k6Code(e: NodeJS.ErrnoException & { timedOut?: boolean }): number {
  if (e.timedOut) return 1050;
  if (e.code === 'ECONNREFUSED') return 1212;
  if (e.code === 'ECONNRESET' || e.message === 'socket hang up') return 1220;
  if (e.code === 'EPIPE') return 1201;
  return 1200;
}

function send(r: WorkerRequest, agents: { keep: http.Agent; keepTls: https.Agent }): Promise<WorkerResponse> {
  const t0 = performance.now();
  const u = new URL(r.url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((done) => {
    let finished = false;
    let connectingMs = 0;
    let headers: Record<string, string> = {};
    const finish = (status: number, errorCode: number, error: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done({ status, errorCode, error, durationMs: performance.now() - t0, connectingMs, headers });
    };
    const req = mod.request(u, {
      method: r.method, headers: r.headers,
      agent: r.reuse ? (u.protocol === 'https:' ? agents.keepTls : agents.keep) : false,
    }, (res) => {
      headers = Object.fromEntries(Object.entries(res.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[canonical(k), v]] : [])));
      res.on('data', () => {});
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        // k6 sets error_code 1000 + status for 4xx and 5xx answers
        finish(status, status >= 400 ? 1000 + status : 0, status >= 400 ? `HTTP ${status}` : '');
      });
      res.on('error', (e) => finish(0, k6Code(e), e.message));
    });
    const timer = setTimeout(() => { const e = Object.assign(new Error('request timeout'), { timedOut: true }); req.destroy(e); finish(0, 1050, e.message); }, r.timeoutMs);
    req.on('error', (e) => finish(0, k6Code(e as NodeJS.ErrnoException), e.message));
    req.on('socket', (socket) => {
      if (req.reusedSocket) return;
      const c0 = performance.now();
      socket.once('connect', () => { connectingMs = performance.now() - c0; });
    });
    req.end(r.body ?? undefined);
  });
}

// Inert unless started by http.ts (node --test runs every file under dist/test).
if (parentPort && workerData?.shared) {
  const shared = new Int32Array(workerData.shared as SharedArrayBuffer);
  const reply = workerData.port as MessagePort;
  const agents = { keep: new http.Agent({ keepAlive: true }), keepTls: new https.Agent({ keepAlive: true }) };
  parentPort.on('message', (r: WorkerRequest) => {
    void send(r, agents).then((res) => {
      reply.postMessage(res);
      Atomics.store(shared, 0, 1);
      Atomics.notify(shared, 0);
    });
  });
}
