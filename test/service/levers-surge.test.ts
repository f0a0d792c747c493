// The surge lever (idle keep-alive sockets closed spread over CLOSE_JITTER_MS), without and with it, on
// pid1+drain. Apart from the other levers (levers.test.ts) because "close together" is bounded at 150 ms:
// this file runs in the serial pass, alone on the machine; the others need no such bound.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { exitedWithLogs, until, withService } from './harness.js';

let redis: ThrowawayRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis?.stop(); });

/** Opens `n` raw keep-alive connections, makes one request on each, and records when the server closes each. */
async function idleSockets(port: number, n: number): Promise<{ closedAt: number[] }> {
  const closedAt: number[] = [];
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    s.setTimeout(10_000, () => { s.destroy(); reject(new Error('keep-alive socket timed out')); });
    s.on('error', () => undefined);
    s.on('close', () => closedAt.push(Date.now()));
    s.on('data', (b) => { buf += b.toString(); if (buf.includes('{"ok":true}')) resolve(); });
    s.write('GET /fast HTTP/1.1\r\nHost: lab\r\nConnection: keep-alive\r\n\r\n');
  })));
  return { closedAt };
}

test('surge: idle keep-alive sockets are closed spread over CLOSE_JITTER_MS instead of all at once', async () => {
  const N = 8;
  const probe = (fixes: string) => withService(redis.url, { LAB_FIXES: fixes, CLOSE_JITTER_MS: '1200' }, async (svc) => {
    const { closedAt } = await idleSockets(svc.port, N);
    svc.proc.child.kill('SIGTERM');
    await until(() => closedAt.length === N, 5000, 'every idle socket closed');
    await exitedWithLogs(svc.proc);
    return Math.max(...closedAt) - Math.min(...closedAt);
  });
  const spreadOff = await probe('pid1,drain');
  const spreadOn = await probe('pid1,drain,surge');
  assert.ok(spreadOff < 150, `without surge the ${N} idle sockets close together (spread ${spreadOff} ms)`);
  assert.ok(spreadOn >= 300 && spreadOn <= 1200 + 600, `with surge they close spread over the jitter window (spread ${spreadOn} ms)`);
});
