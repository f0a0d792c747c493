// The pid1 lever under the real kernel rule: as PID 1 of its own PID namespace, a process without
// a SIGTERM handler never receives SIGTERM sent from outside (a pod then waits out its grace period).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { ROOT } from '../helpers/proc.js';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { within } from '../helpers/wait.js';
import { once, until } from './harness.js';

const canUnshare = spawnSync('unshare', ['--pid', '--fork', '--kill-child', 'true'], { timeout: 5000 }).status === 0;

let redis: ThrowawayRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis?.stop(); });

interface NsService {
  readonly unshare: ChildProcess;
  readonly nodePid: number;
  readonly url: string;
  readonly stdout: () => string;
  readonly exited: Promise<number | null>;
}

async function startInNamespace(fixes: string): Promise<NsService> {
  const port = await freePort();
  const unshare = spawn('unshare', ['--pid', '--fork', '--kill-child', process.execPath, 'dist/service/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url, LAB_FIXES: fixes, QUEUE_NAME: `ns-${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  unshare.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((resolve) => unshare.once('exit', (code) => resolve(code)));
  await until(() => out.includes('"event":"listening"') || unshare.exitCode !== null, 15_000, 'the service in its PID namespace to listen');
  // The namespace's PID 1 is unshare's only child; signals go to it from here, outside the namespace.
  const children = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim();
  const nodePid = Number(children.split(/\s+/)[0]);
  assert.ok(nodePid > 0, `found the namespace's PID 1 (children: "${children}")`);
  assert.match(out, /"pid":1,/, 'node is PID 1 inside its namespace');
  return { unshare, nodePid, url: `http://127.0.0.1:${port}`, stdout: () => out, exited };
}

async function stop(ns: NsService | undefined): Promise<void> {
  if (!ns || ns.unshare.exitCode !== null) return;
  try { process.kill(ns.nodePid, 'SIGKILL'); } catch { /* already gone */ }
  ns.unshare.kill('SIGKILL');
  await within(ns.exited, 5000, () => undefined);
}

/** True when SIGTERM is pending for the process (SigPnd: its thread, ShdPnd: the whole process). */
function sigtermPending(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return ['SigPnd', 'ShdPnd'].some((f) => (BigInt('0x' + (new RegExp(`^${f}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0')) & (1n << 14n)) !== 0n);
}

test('pid1 in a PID namespace: without the lever SIGTERM is dropped by the kernel; with it the process exits', { skip: canUnshare ? false : 'unshare --pid is not permitted here' }, async () => {
  let ns: NsService | undefined;
  try {
    ns = await startInNamespace('none');
    process.kill(ns.nodePid, 'SIGTERM');
    // No wait: the kernel drops the signal when it is sent (an init without a handler). A request
    // answered after kill(2) returned proves the process ran on: a delivered SIGTERM ends it first.
    assert.equal((await once(ns.url, '/fast')).status, 200, 'still serving after SIGTERM: the signal never arrived');
    assert.equal(sigtermPending(ns.nodePid), false, 'nor is it pending');
    assert.equal(ns.unshare.exitCode, null, 'still running');
    await stop(ns);

    ns = await startInNamespace('pid1');
    const t0 = Date.now();
    process.kill(ns.nodePid, 'SIGTERM');
    const code = await within(ns.exited, 5000, () => 'timeout' as const);
    assert.equal(code, 0, 'the handler ran and the process exited cleanly');
    assert.ok(Date.now() - t0 < 3000);
    assert.match(ns.stdout(), /"event":"signal"/);
  } finally {
    await stop(ns);
  }
});
