// LAB_FIXES=all (the default): the full shutdown, the guardian and the second signal, on a real
// process with real keep-alive sockets, a real Redis and real signals.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { events, exitedWithLogs, logTime, once, send, startService, waitInFlight } from './harness.js';

let redis: ThrowawayRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis?.stop(); });

test('all: SIGTERM with slow requests in flight on keep-alive connections drains every one and exits 0', async () => {
  const DRAIN_DELAY_MS = 1000;
  const SLOW_MS = 2000;
  const svc = await startService(redis.url, { DRAIN_DELAY_MS: String(DRAIN_DELAY_MS), SHUTDOWN_DEADLINE_MS: '8000', CLOSE_JITTER_MS: '300' });
  try {
    // Three keep-alive connections, each proven reused, then a slow request on each.
    const clients = [svc.client(), svc.client(), svc.client()];
    for (const c of clients) assert.equal((await send(c, '/fast')).status, 200);
    const idle = svc.client();
    assert.equal((await send(idle, '/fast')).status, 200); // stays idle through the shutdown
    const slow = clients.map((c) => send(c, `/slow?ms=${SLOW_MS}`));
    await waitInFlight(svc.url, 3);
    const killedAt = Date.now();
    svc.proc.child.kill('SIGTERM');
    const signal = await svc.proc.waitFor((l) => l.event === 'signal');
    assert.equal(signal.inFlight, 3, 'the three slow requests were in flight at the signal');

    // During the drain delay: readiness fails at once, but new connections are still served, Redis too.
    await svc.proc.waitFor((l) => l.event === 'readiness-flipped');
    const readyz = await once(svc.url, '/readyz');
    assert.equal(readyz.status, 503);
    assert.match(readyz.body!, /"state":"DRAINING"/);
    const work = await once(svc.url, '/work');
    assert.equal(work.status, 200, 'a /work during the drain delay still reaches Redis');
    assert.equal(work.headers!.connection, 'close', 'responses during drain carry Connection: close');

    const results = await Promise.all(slow);
    for (const r of results) {
      assert.equal(r.error, undefined, `slow request failed: ${String(r.error)}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers!.connection, 'close', 'in-flight responses carry Connection: close');
    }
    const lastResponseAt = Math.max(...results.map((r) => r.at));
    const exit = await exitedWithLogs(svc.proc);
    const elapsed = Date.now() - killedAt;
    assert.equal(exit.code, 0);
    // About drain delay + remaining longest request (1700 ms here), with a generous margin.
    const expected = Math.max(DRAIN_DELAY_MS, SLOW_MS - 300);
    assert.ok(elapsed >= expected - 100 && elapsed < expected * 3, `exit ${elapsed} ms after SIGTERM, expected about ${expected}`);

    const t = (e: string) => logTime(events(svc.proc, e)[0]!);
    assert.ok(t('readiness-flipped') <= t('listener-closed'), '/readyz fails before the listener closes');
    assert.ok(t('listener-closed') - t('readiness-flipped') >= DRAIN_DELAY_MS - 50, 'serving went on for the drain delay');
    const deps = events(svc.proc, 'dependency-closed');
    assert.deepEqual(deps.map((d) => d.dependency), ['events', 'queue', 'redis'], 'event stream ticker/reader, queue producer, then Redis');
    assert.ok(logTime(deps[2]!) >= lastResponseAt - 5, 'Redis closed only after the last in-flight response');
    assert.ok(deps.every((d) => d.inFlight === 0));
    const drained = events(svc.proc, 'connections-drained')[0]!;
    assert.ok(drained.idle >= 1, `the idle keep-alive socket was closed gently: ${JSON.stringify(drained)}`);
    assert.equal(drained.forced, 0);
    assert.equal(events(svc.proc, 'guardian-fired').length, 0);
    assert.equal(events(svc.proc, 'exit')[0]!.exitCode, 0);
    // The evidence quotes the first and last response after the signal from one compact line.
    const answered = events(svc.proc, 'answered-after-signal')[0]!;
    assert.ok(answered.count >= 4, `the /work and the three /slow answered after the signal: ${JSON.stringify(answered)}`);
    assert.equal(answered.first.url, '/work');
    assert.match(answered.last.url, /^\/slow/);
    assert.ok(answered.last.msAfterSignal >= SLOW_MS - 300 - 100, `last answer at +${answered.last.msAfterSignal} ms`);
  } finally {
    await svc.stop();
  }
});

test('all: a request longer than the deadline makes the guardian force exit 70 and log what was open', async () => {
  const DEADLINE = 1500;
  const svc = await startService(redis.url, { DRAIN_DELAY_MS: '200', SHUTDOWN_DEADLINE_MS: String(DEADLINE) });
  try {
    const c = svc.client();
    const slow = send(c, '/slow?ms=6000');
    await waitInFlight(svc.url, 1);
    const killedAt = Date.now();
    svc.proc.child.kill('SIGTERM');
    const exit = await exitedWithLogs(svc.proc);
    const elapsed = Date.now() - killedAt;
    assert.equal(exit.code, 70);
    assert.ok(elapsed >= DEADLINE - 100 && elapsed < DEADLINE * 3, `guardian exit after ${elapsed} ms, deadline ${DEADLINE}`);
    const fired = events(svc.proc, 'guardian-fired')[0];
    assert.ok(fired, 'guardian-fired logged');
    assert.equal(fired.inFlight, 1);
    assert.equal(fired.requests[0].url, '/slow?ms=6000');
    assert.deepEqual(fired.openDependencies, ['events', 'queue', 'redis']);
    assert.equal(events(svc.proc, 'sockets-force-closed')[0]!.withRequest, 1);
    assert.equal(events(svc.proc, 'exit')[0]!.exitCode, 70);
    assert.ok((await slow).error, 'the overlong request was cut');
  } finally {
    await svc.stop();
  }
});

test('all: a second signal during shutdown exits 71 at once with a logged reason', async () => {
  const svc = await startService(redis.url, { DRAIN_DELAY_MS: '3000', SHUTDOWN_DEADLINE_MS: '8000' });
  try {
    svc.proc.child.kill('SIGTERM');
    await svc.proc.waitFor((l) => l.event === 'readiness-flipped');
    const secondAt = Date.now();
    svc.proc.child.kill('SIGINT');
    const exit = await exitedWithLogs(svc.proc);
    assert.equal(exit.code, 71);
    assert.ok(Date.now() - secondAt < 1500, 'exited at once, not after the 3 s drain delay');
    const line = events(svc.proc, 'second-signal')[0];
    assert.equal(line?.signal, 'SIGINT');
    assert.equal(line?.state, 'DRAINING');
  } finally {
    await svc.stop();
  }
});

test('all: during shutdown a /slow longer than the remaining budget gets 503 + Retry-After, a short one 200', async () => {
  const svc = await startService(redis.url, { DRAIN_DELAY_MS: '1500', SHUTDOWN_DEADLINE_MS: '3000' });
  try {
    svc.proc.child.kill('SIGTERM');
    await svc.proc.waitFor((l) => l.event === 'readiness-flipped');
    const [long, short] = await Promise.all([once(svc.url, '/slow?ms=5000'), once(svc.url, '/slow?ms=200')]);
    assert.equal(long.status, 503);
    assert.equal(long.headers!['retry-after'], '1');
    assert.match(long.body!, /LAB_SHUTTING_DOWN/);
    assert.equal(short.status, 200);
    assert.equal((await exitedWithLogs(svc.proc)).code, 0);
  } finally {
    await svc.stop();
  }
});
