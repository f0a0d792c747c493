import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT_UNCAUGHT } from '../../common/exit-codes.js';
import { startRedis } from '../helpers/redis.js';
import { events, exitedWithLogs, once, send, startService, waitInFlight } from './harness.js';

test(`an uncaught error in the service: logged, /readyz fails, in-flight requests finish, exit ${EXIT_UNCAUGHT} within the deadline`, async () => {
  const redis = await startRedis();
  const svc = await startService(redis.url, { LAB_FIXES: 'all', LAB_TEST_FAULTS: '1', DRAIN_DELAY_MS: '1500', SHUTDOWN_DEADLINE_MS: '6000' });
  try {
    const slow = send(svc.client(), '/slow?ms=2500');
    // State, not a sleep: the in-flight gauge shows the slow request before the fault.
    await waitInFlight(svc.url, 1);
    const t0 = Date.now();
    const fault = await once(svc.url, '/__test/fault?kind=rejection');
    assert.equal(fault.status, 200);
    await svc.proc.waitFor((l) => l.event === 'uncaught', 5000);
    const ready = await once(svc.url, '/readyz');
    assert.equal(ready.status, 503, 'readiness failed at once');
    const done = await slow;
    assert.equal(done.status, 200, `the in-flight request finished: ${JSON.stringify(done.error ?? done.body)}`);
    const exit = await exitedWithLogs(svc.proc);
    assert.equal(exit.code, EXIT_UNCAUGHT, svc.proc.stderr());
    assert.ok(Date.now() - t0 < 6000 + 3000, `exited within the deadline: ${Date.now() - t0} ms`);
    assert.equal(events(svc.proc, 'uncaught')[0]!.origin, 'unhandledRejection');
    assert.equal(events(svc.proc, 'guardian-fired').length, 0, 'a normal shutdown, not the guardian');
    assert.equal(events(svc.proc, 'exit')[0]!.exitCode, EXIT_UNCAUGHT);
  } finally {
    await svc.stop();
    await redis.stop();
  }
});

test('without LAB_TEST_FAULTS the fault route does not exist', async () => {
  const redis = await startRedis();
  const svc = await startService(redis.url, { LAB_FIXES: 'all' });
  try {
    assert.equal((await once(svc.url, '/__test/fault?kind=exception')).status, 404);
  } finally {
    await svc.stop();
    await redis.stop();
  }
});
