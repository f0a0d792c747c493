// KEEPALIVE_TIMEOUT_MS / HEADERS_TIMEOUT_MS reach the real server: the Keep-Alive hint it announces and
// the moment it really closes an idle socket (read on the wire by check's probe).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { probeKeepAlive } from '../../lab/tools/check/keepalive-probe.js';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { startService } from './harness.js';

let redis: ThrowawayRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis?.stop(); });

test('KEEPALIVE_TIMEOUT_MS=1500: announces timeout=1 and closes an idle socket about 1.5 s after the response', async () => {
  const svc = await startService(redis.url, { KEEPALIVE_TIMEOUT_MS: '1500', HEADERS_TIMEOUT_MS: '60000' });
  try {
    const p = await probeKeepAlive({ host: '127.0.0.1', port: svc.port, path: '/fast', boundMs: 10_000 });
    assert.equal(p.status, 200);
    assert.equal(p.hintS, 1);
    assert.ok(p.closedAfterMs !== undefined, 'the server closed the idle socket within the bound');
    assert.ok(p.closedAfterMs >= 1000 && p.closedAfterMs < 5000, `closed after ${p.closedAfterMs} ms`);
  } finally {
    await svc.stop();
  }
});

test('the default keeps an idle socket past 60 s (announces timeout=72), so it outlives ingress-nginx and AWS ALB', async () => {
  const svc = await startService(redis.url);
  try {
    // Waiting the whole 72 s is not needed: the announced timeout and "still open after 3 s" are what
    // distinguishes the default from Node's old 5 s; the 1.5 s case above shows the announcement is honoured.
    const p = await probeKeepAlive({ host: '127.0.0.1', port: svc.port, path: '/fast', boundMs: 3000 });
    assert.equal(p.hintS, 72);
    assert.equal(p.closedAfterMs, undefined, 'still open at the bound');
  } finally {
    await svc.stop();
  }
});
