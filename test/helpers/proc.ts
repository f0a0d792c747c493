import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { readJsonLines } from '../../lab/support/json-lines.js';

/** Repo root, from dist/test/helpers. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export interface Proc {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, any> | string>; // parsed JSON log lines, or raw text
  /** Resolves with the first line matching, within timeoutMs. */
  waitFor(pred: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  /** Resolves with exit code/signal and the elapsed ms since start. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>;
  stderr(): string;
}

/** Starts `node <script>` from the repo root (script relative to the root, e.g. dist/service/main.js). */
export function startNode(script: string, env: Record<string, string>, args: string[] = []): Proc {
  const started = Date.now();
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Proc['lines'] = [];
  const waiters = new Set<() => void>();
  let err = '';
  readJsonLines(child.stdout!, (parsed, raw) => lines.push(parsed ?? raw), () => { for (const w of waiters) w(); });
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>((res) =>
    child.once('close', (code, signal) => { for (const w of waiters) w(); res({ code, signal, elapsedMs: Date.now() - started }); }),
  );
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    waitFor(pred, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l): l is Record<string, any> => typeof l === 'object' && pred(l));
          if (hit) { cleanup(); resolve(hit); }
          else if (child.exitCode !== null || child.signalCode !== null) { cleanup(); reject(new Error(`process exited before the awaited log line; stderr: ${err.slice(-2000)}`)); }
        };
        const timer = setTimeout(() => { cleanup(); reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${err.slice(-2000)}`)); }, timeoutMs);
        const cleanup = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
  };
}
