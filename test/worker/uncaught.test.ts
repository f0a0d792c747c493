import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT_UNCAUGHT } from '../../common/exit-codes.js';
import { events, job, JOB_OPTS, rig } from './fixtures.js';

for (const kind of ['exception', 'rejection'] as const) {
  test(`an uncaught ${kind} mid-job: logged, state leaves running, the job finishes, exit ${EXIT_UNCAUGHT} within the deadline`, async () => {
    const r = await rig();
    try {
      const a = await r.startWorker({ LAB_FIXES: 'all', JOB_MS: '800', SHUTDOWN_DEADLINE_MS: '5000', WORKER_CONCURRENCY: '1', LAB_TEST_FAULT: kind });
      const data = job('erin', 4);
      const t0 = Date.now();
      await r.queue.add('ledger', data, JOB_OPTS);
      const exit = await a.exited;
      assert.equal(exit.code, EXIT_UNCAUGHT, a.stderr());
      assert.ok(Date.now() - t0 < 5000 + 3000, `exited within the deadline: ${Date.now() - t0} ms`);
      const uncaught = events(a, 'uncaught');
      assert.equal(uncaught.length, 1);
      assert.equal(uncaught[0]!.origin, kind === 'exception' ? 'uncaughtException' : 'unhandledRejection');
      assert.deepEqual(events(a, 'state').map((l) => l.state), ['running', 'draining', 'closing', 'closed'], 'forward-only named states');
      assert.ok(events(a, 'state').every((l) => typeof l.msInPrevious === 'number'));
      assert.equal(events(a, 'job-completed').length, 1, 'the running job finished: the normal shutdown ran');
      assert.equal(await r.client.get('ledger:balance:erin'), '4');
      assert.equal(events(a, 'exit')[0]!.exitCode, EXIT_UNCAUGHT);
    } finally {
      await r.stop();
    }
  });
}
