import { randomUUID } from 'node:crypto';
import { once as onceEvent } from 'node:events';
import { Client } from 'undici';
import { freePort } from '../helpers/ports.js';
import { startNode, type Proc } from '../helpers/proc.js';
import { waitUntil } from '../helpers/wait.js';

export const SERVICE = 'dist/service/main.js';

export interface RunningService {
  readonly proc: Proc;
  readonly url: string;
  readonly port: number;
  readonly queueName: string;
  /** A keep-alive client with exactly one connection: requests on it share one socket. */
  client(): Client;
  /** Sends SIGKILL if still running and closes every client; idempotent, for `finally`. */
  stop(): Promise<void>;
}

/** Starts the real service process on a free port and waits for its `listening` line. */
export async function startService(redisUrl: string, env: Record<string, string> = {}): Promise<RunningService> {
  const port = await freePort();
  const queueName = `q-${randomUUID().slice(0, 8)}`;
  const proc = startNode(SERVICE, { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redisUrl, QUEUE_NAME: queueName, ...env });
  const clients: Client[] = [];
  const url = `http://127.0.0.1:${port}`;
  const svc: RunningService = {
    proc, url, port, queueName,
    client() {
      const c = new Client(url, { pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
      clients.push(c);
      return c;
    },
    async stop() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
      await proc.exited;
      await Promise.all(clients.map((c) => c.destroy().catch(() => undefined)));
    },
  };
  try {
    await proc.waitFor((l) => l.event === 'listening', 15_000);
  } catch (err) {
    await svc.stop();
    throw err;
  }
  return svc;
}

export interface Outcome {
  readonly status?: number;
  readonly headers?: Record<string, string | string[] | undefined>;
  readonly body?: string;
  readonly error?: unknown;
  /** Date.now() when the response body ended or the request failed. */
  readonly at: number;
}

/** One request on `client`; never rejects, so a cut request is an outcome to assert on. */
export async function send(client: Client, path: string, init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {}): Promise<Outcome> {
  try {
    const res = await client.request({ path, method: init.method ?? 'GET', body: init.body, headers: init.headers });
    const body = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body, at: Date.now() };
  } catch (error) {
    return { error, at: Date.now() };
  }
}

/** A fresh connection per call, closed afterwards. */
export async function once(url: string, path: string, init: Parameters<typeof send>[2] = {}): Promise<Outcome> {
  const c = new Client(url, { pipelining: 1 });
  try {
    return await send(c, path, init);
  } finally {
    await c.destroy().catch(() => undefined);
  }
}

export function postJob(url: string, body: unknown, raw?: string): Promise<Outcome> {
  return once(url, '/jobs', { method: 'POST', body: raw ?? JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

/**
 * proc.exited plus the rest of stdout: the child's 'exit' can fire before its last log lines are
 * read, and the lines after a forced exit are exactly what the tests assert on.
 */
export async function exitedWithLogs(proc: Proc): Promise<Awaited<Proc['exited']>> {
  const exit = await proc.exited;
  const out = proc.child.stdout!;
  if (!out.destroyed && !out.readableEnded) await onceEvent(out, 'close', { signal: AbortSignal.timeout(5000) });
  return exit;
}

/** Log lines with the given event, in order. */
export function events(proc: Proc, event: string): Array<Record<string, any>> {
  return proc.lines.filter((l): l is Record<string, any> => typeof l === 'object' && l.event === event);
}

/** A service on `redisUrl` started with `env` for the length of `fn`, stopped after it whatever `fn` does. */
export async function withService<T>(redisUrl: string, env: Record<string, string>, fn: (svc: RunningService) => Promise<T>): Promise<T> {
  const svc = await startService(redisUrl, env);
  try { return await fn(svc); } finally { await svc.stop(); }
}

export function logTime(line: Record<string, any>): number {
  return Date.parse(line.time as string);
}

export { sleep, waitInFlight } from '../helpers/wait.js';

/** Polls `pred` until it holds or `timeoutMs` passes. */
export function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return waitUntil(what, pred, timeoutMs);
}
