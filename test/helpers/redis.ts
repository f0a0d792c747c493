import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface ThrowawayRedis {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** A real redis-server on a free loopback port, no persistence, in a temp dir. */
export async function startRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lab-redis-'));
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port} within 10 s`)), 10_000);
    proc.once('error', (e) => { clearTimeout(timer); reject(new Error(`cannot start redis-server (is it installed? apt-get install redis-server): ${e.message}`)); });
    proc.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        proc.once('exit', () => { rmSync(dir, { recursive: true, force: true }); resolve(); });
        proc.kill('SIGKILL');
      });
      return stopped;
    },
  };
}
