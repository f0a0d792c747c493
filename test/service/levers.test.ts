// One test per lever: the same scenario without and with the lever, on top of the smallest base
// where the lever can act at all (every lever but pid1 needs the signal handler pid1 installs).
// surge is in levers-surge.test.ts: its 150 ms bound needs the machine to itself (the serial pass).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { classifyError } from '../../loadtest/classes.js';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { events, exitedWithLogs, once, send, waitInFlight, withService as withServiceOn, type RunningService } from './harness.js';

let redis: ThrowawayRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis?.stop(); });

const withService = <T>(env: Record<string, string>, fn: (svc: RunningService) => Promise<T>) => withServiceOn(redis.url, env, fn);

/** A slow request in flight on a keep-alive socket, then SIGTERM; what the client saw and how the process ended. */
function slowThenSigterm(fixes: string, extra: Record<string, string> = {}) {
  return withService({ LAB_FIXES: fixes, ...extra }, async (svc) => {
    const c = svc.client();
    assert.equal((await send(c, '/fast')).status, 200);
    const slow = send(c, '/slow?ms=1500');
    await waitInFlight(svc.url, 1);
    svc.proc.child.kill('SIGTERM');
    const [outcome, exit] = await Promise.all([slow, exitedWithLogs(svc.proc)]);
    return { outcome, exit, svc };
  });
}

test('none: no SIGTERM handler; SIGTERM kills the process and cuts the in-flight request', async () => {
  const { outcome, exit, svc } = await slowThenSigterm('none');
  assert.equal(exit.signal, 'SIGTERM');
  assert.equal(exit.code, null);
  assert.equal(classifyError(outcome.error), 'reset', `expected a cut request, got ${outcome.status ?? String(outcome.error)}`);
  assert.equal(events(svc.proc, 'signal').length, 0, 'no handler, so no signal line');
});

test('pid1 alone: a handler exists (logged signal, exit 0), but without drain the in-flight request is still cut', async () => {
  const { outcome, exit, svc } = await slowThenSigterm('pid1');
  assert.equal(exit.code, 0);
  assert.equal(events(svc.proc, 'signal').length, 1);
  // The naive teardown: Redis first, then exit with the request still open.
  assert.deepEqual(events(svc.proc, 'dependency-closed').map((d) => d.dependency), ['redis', 'queue']);
  assert.equal(events(svc.proc, 'sockets-force-closed')[0]!.withRequest, 1);
  assert.equal(classifyError(outcome.error), 'reset');
});

test('readiness: /readyz fails at once and new connections are still served for the drain delay', async () => {
  const probe = (fixes: string) => withService({ LAB_FIXES: fixes, DRAIN_DELAY_MS: '1500' }, async (svc) => {
    const killedAt = Date.now();
    svc.proc.child.kill('SIGTERM');
    // State, not a sleep: with readiness, ask once the flip is logged; without, once the process is gone.
    if (fixes.includes('readiness')) await svc.proc.waitFor((l) => l.event === 'readiness-flipped', 10_000);
    else await svc.proc.exited;
    const [readyz, fast] = await Promise.all([once(svc.url, '/readyz'), once(svc.url, '/fast')]);
    const exit = await exitedWithLogs(svc.proc);
    return { readyz, fast, exit, livedMs: Date.now() - killedAt };
  });
  const off = await probe('pid1');
  assert.equal(classifyError(off.fast.error), 'refused', 'without readiness the listener is gone right after SIGTERM');
  const on = await probe('pid1,readiness');
  assert.equal(on.readyz.status, 503);
  assert.match(on.readyz.body!, /DRAINING/);
  assert.equal(on.fast.status, 200, 'still serving new connections during the drain delay');
  assert.equal(on.exit.code, 0);
  assert.ok(on.livedMs >= 1400 && on.livedMs < 1500 * 3, `the process lived on for the drain delay (${on.livedMs} ms after SIGTERM)`);
});

test('drain: the in-flight request on a keep-alive socket completes with Connection: close, then Redis closes', async () => {
  const off = await slowThenSigterm('pid1');
  assert.equal(classifyError(off.outcome.error), 'reset');
  const on = await slowThenSigterm('pid1,drain');
  assert.equal(on.outcome.status, 200);
  assert.equal(on.outcome.headers!.connection, 'close');
  assert.equal(on.exit.code, 0);
  const deps = events(on.svc.proc, 'dependency-closed');
  // the event stream's ticker and reader (docs/service.md) go first: they work through Redis
  assert.deepEqual(deps.map((d) => d.dependency), ['events', 'queue', 'redis']);
  assert.ok(Date.parse(deps[2]!.time) >= on.outcome.at - 5, 'Redis closed after the response');
  assert.equal(events(on.svc.proc, 'connections-drained')[0]!.afterResponse, 1);
});

test('requeue: during shutdown a /slow that cannot finish gets 503 + Retry-After instead of being cut', async () => {
  const probe = (fixes: string) => withService({ LAB_FIXES: fixes, DRAIN_DELAY_MS: '1500' }, async (svc) => {
    svc.proc.child.kill('SIGTERM');
    await svc.proc.waitFor((l) => l.event === 'readiness-flipped');
    const [long, short] = await Promise.all([once(svc.url, '/slow?ms=4000'), once(svc.url, '/slow?ms=100')]);
    await exitedWithLogs(svc.proc);
    return { long, short };
  });
  const off = await probe('pid1,readiness');
  assert.equal(classifyError(off.long.error), 'reset', 'without requeue the long request is accepted, then cut at exit');
  const on = await probe('pid1,readiness,requeue');
  assert.equal(on.long.status, 503);
  assert.equal(on.long.headers!['retry-after'], '1');
  assert.match(on.long.body!, /LAB_SHUTTING_DOWN/);
  assert.equal(on.short.status, 200, 'work that fits the budget is still served');
});
