// IDLE_CLOSE=client-window (service/shutdown.ts): after SIGTERM a draining pod keeps its idle
// keep-alive sockets open, answers the next request on one with `Connection: close`, and closes one
// still idle only when its client's idle window (CLIENT_IDLE_WINDOW_MS since its last response) has
// passed, or at the cap SHUTDOWN_DEADLINE_MS − 1 s. Real process, raw sockets, real SIGTERM;
// IDLE_CLOSE=jitter (the default) is the control: it closes the same idle socket at once.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { events, exitedWithLogs, startService, until, type RunningService } from './harness.js';

let redis: ThrowawayRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis?.stop(); });

/** A raw keep-alive connection: send() writes one GET /fast and resolves with the raw response head. */
interface Raw { socket: Socket; closedAt?: number; openedAt: number; send(): Promise<{ head: string; at: number }> }

async function raw(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => { socket.once('connect', r); socket.once('error', j); });
  const out: Raw = {
    socket, openedAt: Date.now(),
    send: () => new Promise((resolve, reject) => {
      if (socket.destroyed) { reject(new Error('the server had closed the socket')); return; }
      const timer = setTimeout(() => reject(new Error('no response within 5 s')), 5000);
      let buf = '';
      const onData = (b: Buffer) => {
        buf += b.toString();
        if (!buf.includes('{"ok":true}')) return;
        socket.off('data', onData);
        clearTimeout(timer);
        resolve({ head: buf.slice(0, buf.indexOf('\r\n\r\n')), at: Date.now() });
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error(`closed before a response (${buf.length} bytes read)`)));
      socket.write('GET /fast HTTP/1.1\r\nHost: lab\r\nConnection: keep-alive\r\n\r\n');
    }),
  };
  socket.on('error', () => undefined);
  socket.on('close', () => { out.closedAt = Date.now(); });
  return out;
}

async function withService<T>(env: Record<string, string>, fn: (svc: RunningService) => Promise<T>): Promise<T> {
  const svc = await startService(redis.url, { LAB_FIXES: 'pid1,drain', ...env });
  try { return await fn(svc); } finally { await svc.stop(); }
}

test('client-window: the next request on an idle socket gets Connection: close; a socket still idle stays open until its window ends; nothing is lost', async () => {
  const WINDOW = 1500;
  await withService({ IDLE_CLOSE: 'client-window', CLIENT_IDLE_WINDOW_MS: String(WINDOW), SHUTDOWN_DEADLINE_MS: '6000' }, async (svc) => {
    const reused = await raw(svc.port);
    const idle = await raw(svc.port);
    const before = await reused.send();
    assert.match(before.head, /connection: keep-alive/i);
    const idleSince = (await idle.send()).at;
    const sigAt = Date.now();
    svc.proc.child.kill('SIGTERM');
    await until(() => events(svc.proc, 'listener-closed').length === 1, 5000, 'listener closed');
    // the listener is closed, the idle sockets are not: a request on one is served, with Connection: close
    const next = await reused.send();
    assert.match(next.head, /^HTTP\/1\.1 200/);
    assert.match(next.head, /connection: close/i);
    await until(() => reused.closedAt !== undefined, 3000, 'the reused socket closed after its response');
    assert.equal(idle.closedAt, undefined, 'the idle socket is still open');
    await until(() => idle.closedAt !== undefined, 5000, 'the idle socket closed');
    assert.ok(idle.closedAt! - idleSince >= WINDOW - 50, `closed ${idle.closedAt! - idleSince} ms after its last response: not before the ${WINDOW} ms window`);
    assert.ok(idle.closedAt! - idleSince <= WINDOW + 1000, `closed ${idle.closedAt! - idleSince} ms after its last response: soon after the window`);
    const exit = await exitedWithLogs(svc.proc);
    assert.equal(exit.code, 0);
    const drained = events(svc.proc, 'connections-drained')[0]!;
    assert.equal(drained.idle, 1, 'one socket closed idle by the pod');
    assert.equal(drained.afterResponse, 1, 'one closed after its Connection: close response');
    assert.equal(drained.forced, 0);
    assert.ok(Date.now() - sigAt < 6000, 'exited before the guardian deadline');
  });
});

test('client-window: a window longer than the budget is capped at SHUTDOWN_DEADLINE_MS − 1 s, and the process still exits 0', async () => {
  await withService({ IDLE_CLOSE: 'client-window', CLIENT_IDLE_WINDOW_MS: '60000', SHUTDOWN_DEADLINE_MS: '3000' }, async (svc) => {
    const idle = await raw(svc.port);
    await idle.send();
    const sigAt = Date.now();
    svc.proc.child.kill('SIGTERM');
    const exit = await exitedWithLogs(svc.proc);
    assert.equal(exit.code, 0, 'not the guardian (70)');
    assert.ok(idle.closedAt !== undefined);
    const after = idle.closedAt! - sigAt;
    assert.ok(after >= 1500 && after <= 2800, `closed ${after} ms after the signal: at the cap (+2000 ms, jitter 500 ms before it)`);
    assert.equal(events(svc.proc, 'listener-closed')[0]!.capped, 1);
  });
});

test('jitter (the default): the same idle socket is closed as the listener closes', async () => {
  await withService({ SHUTDOWN_DEADLINE_MS: '6000' }, async (svc) => {
    const idle = await raw(svc.port);
    await idle.send();
    const sigAt = Date.now();
    svc.proc.child.kill('SIGTERM');
    await until(() => idle.closedAt !== undefined, 5000, 'the idle socket closed');
    assert.ok(idle.closedAt! - sigAt < 1000, `closed ${idle.closedAt! - sigAt} ms after the signal`);
    assert.equal((await exitedWithLogs(svc.proc)).code, 0);
    assert.equal(events(svc.proc, 'listener-closed')[0]!.idleClose, 'jitter');
  });
});
