import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { addSample } from './metrics.js';
import type { WorkerRequest, WorkerResponse } from './http-worker.js';

// k6/http for the shim: a synchronous http.request that makes a real HTTP request (through the
// worker in http-worker.ts) and answers with the fields the lab's script reads.

interface Params { headers?: Record<string, string>; timeout?: string; tags?: Record<string, string>; responseCallback?: unknown }

/** Set by run.ts from the script's options (noConnectionReuse). */
export const config = { reuse: true };

let channel: { worker: Worker; shared: Int32Array; port: MessagePort } | undefined;
type MessagePort = import('node:worker_threads').MessagePort;

function worker() {
  if (channel) return channel;
  const shared = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const w = new Worker(new URL('./http-worker.js', import.meta.url), { workerData: { shared: shared.buffer, port: port2 }, transferList: [port2] });
  w.unref();
  return (channel = { worker: w, shared, port: port1 });
}

function seconds(s: string | undefined, def: number): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s ?? '');
  if (!m) return def;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

export function request(method: string, url: string, body?: string | null, params: Params = {}) {
  const c = worker();
  const timeoutMs = seconds(params.timeout, 60) * 1000;
  const msg: WorkerRequest = { method, url, body: body ?? null, headers: params.headers ?? {}, timeoutMs, reuse: config.reuse };
  Atomics.store(c.shared, 0, 0);
  c.worker.postMessage(msg);
  if (Atomics.wait(c.shared, 0, 0, timeoutMs + 10_000) === 'timed-out') throw new Error(`k6 shim: no answer from the HTTP worker for ${method} ${url}`);
  const r = receiveMessageOnPort(c.port)?.message as WorkerResponse | undefined;
  if (!r) throw new Error('k6 shim: the HTTP worker signalled without an answer');
  const tags = { method, url, status: String(r.status), ...(params.tags ?? {}) };
  addSample('http_reqs', 'counter', 1, tags);
  addSample('http_req_duration', 'trend', r.durationMs, tags, true);
  return { status: r.status, error_code: r.errorCode, error: r.error, body: null, headers: r.headers, timings: { duration: r.durationMs, connecting: r.connectingMs, tls_handshaking: 0 } };
}

export const get = (url: string, params?: Params) => request('GET', url, null, params);
export const post = (url: string, body?: string | null, params?: Params) => request('POST', url, body, params);
export function expectedStatuses(...ranges: Array<number | { min: number; max: number }>) { return { ranges }; }

export default { request, get, post, expectedStatuses };
