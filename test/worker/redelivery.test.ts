import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditJobs } from '../../lab/support/ledger-audit.js';
import { events, job, JOB_OPTS, rig } from './fixtures.js';

// The kill lands after the side effect and before completion: the window where a redelivery would
// apply the effect a second time unless it is guarded.
async function killAfterEffect(fixes: string) {
  const r = await rig();
  try {
    const env = { LAB_FIXES: fixes, JOB_MS: '1500', LOCK_MS: '1000', WORKER_CONCURRENCY: '1' };
    const a = await r.startWorker(env);
    const data = job('alice', 42);
    await r.queue.add('ledger', data, JOB_OPTS);
    await a.waitFor((l) => l.event === 'job-applied' && l.idempotencyKey === data.idempotencyKey, 10_000);
    a.child.kill('SIGKILL');
    const gone = await a.exited;
    assert.equal(gone.signal, 'SIGKILL');
    assert.equal(events(a, 'job-completed').length, 0, 'the kill must land before completion');

    const b = await r.startWorker(env);
    // Stall detection needs lockDuration plus up to two stalledIntervals: ~3 s here, 20 s allowed.
    await b.waitFor((l) => l.event === 'job-completed' && l.idempotencyKey === data.idempotencyKey, 20_000);
    const started = events(b, 'job-started').find((l) => l.idempotencyKey === data.idempotencyKey);
    assert.ok(started && started.stalledCount >= 1, `B got the job through stall detection: ${JSON.stringify(started)}`);
    const audit = await auditJobs(r.client, [data]);
    return { audit, b, data, balance: Number(await r.client.get('ledger:balance:alice')) };
  } finally {
    await r.stop();
  }
}

test('kill -9 after the effect, idempotent (all): redelivered, applied once, duplicate suppressed in the log', async () => {
  const { audit, b, data, balance } = await killAfterEffect('all');
  assert.equal(balance, 42);
  assert.deepEqual(audit, { accepted: 1, applied: 1, lost: 0, duplicated: 0, unacknowledged: 0, balanceMismatches: 0 });
  assert.equal(events(b, 'job-duplicate-suppressed').filter((l) => l.idempotencyKey === data.idempotencyKey).length, 1);
  assert.equal(events(b, 'job-applied').length, 0);
});

test('kill -9 after the effect, naive (pid1 without requeue): the redelivery doubles it and the audit sees it', async () => {
  const { audit, b, balance } = await killAfterEffect('pid1');
  assert.equal(balance, 84);
  assert.deepEqual(audit, { accepted: 1, applied: 1, lost: 0, duplicated: 1, unacknowledged: 0, balanceMismatches: 1 });
  assert.equal(events(b, 'job-applied').length, 1);
});
