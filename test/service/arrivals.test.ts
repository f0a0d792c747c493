// The service's own record of what was routed to it (service/arrivals.ts): one `arrivals` line per
// interval, per peer address and new/reused connection, probes excluded, flushed on exit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { once, send, startService, type RunningService } from './harness.js';

let redis: ThrowawayRedis;
let svc: RunningService;

before(async () => { redis = await startRedis(); });
after(async () => { await svc?.stop(); await redis?.stop(); });

test('arrivals count new and reused connections per peer, skip probes, and survive the exit', async () => {
  svc = await startService(redis.url, { LAB_FIXES: 'all', DRAIN_DELAY_MS: '0', SHUTDOWN_DEADLINE_MS: '3000' });
  const t0 = Date.now();
  assert.equal((await once(svc.url, '/fast')).status, 200); // new connection
  const kept = svc.client();
  for (let i = 0; i < 3; i++) assert.equal((await send(kept, '/fast')).status, 200); // 1 new + 2 reused
  assert.equal((await once(svc.url, '/healthz')).status, 200); // a probe: not routed traffic
  assert.equal((await once(svc.url, '/readyz')).status, 200);
  const lastSent = Date.now();
  // the exit flush: SIGTERM right away, well inside the 200 ms interval
  svc.proc.child.kill('SIGTERM');
  await svc.proc.waitFor((l) => l.event === 'exit', 10_000);
  await svc.proc.exited;
  const buckets = svc.proc.lines
    .filter((l): l is Record<string, any> => typeof l === 'object' && l.event === 'arrivals')
    .flatMap((l) => l.by as Array<{ remote: string; reused: boolean; n: number; first: number; last: number }>);
  const sum = (reused: boolean) => buckets.filter((b) => b.reused === reused).reduce((a, b) => a + b.n, 0);
  assert.equal(sum(false), 2, `two new connections brought a request: ${JSON.stringify(buckets)}`);
  assert.equal(sum(true), 2, 'two requests came on a reused connection');
  assert.ok(buckets.every((b) => b.remote === '127.0.0.1'), 'the peer address is recorded');
  const last = Math.max(...buckets.map((b) => b.last));
  assert.ok(last >= t0 && last <= lastSent, `the last arrival ${last} lies in [${t0}, ${lastSent}]`);
});
