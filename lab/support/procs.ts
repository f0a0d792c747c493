import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../common/errors.js';
import { readJsonLines } from './json-lines.js';

// The processes of the kill-mid-job demonstration: a throwaway redis-server and node children whose
// JSON log lines are kept (they are the evidence the audit quotes).

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface LabRedis {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startLabRedis(): Promise<LabRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kmj-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LabError('LAB_TIMEOUT', `redis-server did not start on port ${port} within 10 s`)), 10_000);
      proc.once('error', (e) => { clearTimeout(timer); reject(new LabError('LAB_MISSING_TOOL', `cannot start redis-server (apt-get install redis-server): ${e.message}`)); });
      proc.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('Ready to accept connections')) { clearTimeout(timer); resolve(); } });
    });
  } catch (err) {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    stop() {
      stopping ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

export type LogLine = Record<string, any>;

export interface LabProc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  waitFor(pred: (l: LogLine) => boolean, timeoutMs: number, fromIndex?: number): Promise<LogLine>;
  /** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs. Memoised per process. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }>;
  stderr(): string;
}

export function spawnNode(name: string, script: string, env: Record<string, string>, cwd: string): LabProc {
  const child = spawn(process.execPath, [script], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let err = '';
  readJsonLines(child.stdout!, (parsed, raw) => lines.push(parsed ? { proc: name, ...parsed } as LogLine : { proc: name, raw }), () => { for (const w of waiters) w(); });
  child.stderr!.on('data', (b: Buffer) => { err = (err + b.toString()).slice(-8000); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => { for (const w of waiters) w(); res({ code, signal }); }));
  const alive = () => child.exitCode === null && child.signalCode === null;
  let stopping: ReturnType<LabProc['stop']> | undefined;
  return {
    name,
    child,
    lines,
    exited,
    alive,
    stderr: () => err,
    waitFor(pred, timeoutMs, fromIndex = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.slice(fromIndex).find(pred);
          if (hit) { cleanup(); resolve(hit); }
          else if (!alive()) { cleanup(); reject(new Error(`${name} exited before the awaited log line; stderr: ${err.slice(-1000)}`)); }
        };
        const timer = setTimeout(() => { cleanup(); reject(new LabError('LAB_TIMEOUT', `${name}: no matching log line within ${timeoutMs} ms`)); }, timeoutMs);
        const cleanup = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    stop(signal, graceMs) {
      stopping ??= (async () => {
        if (!alive()) return { ...(await exited), forced: false };
        child.kill(signal);
        const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
        const first = await Promise.race([exited, timer]);
        if (first !== 'timeout') return { ...first, forced: false };
        child.kill('SIGKILL');
        return { ...(await exited), forced: true };
      })();
      return stopping;
    },
  };
}
