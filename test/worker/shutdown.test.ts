import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { auditJobs } from '../../lab/support/ledger-audit.js';
import { events, job, JOB_OPTS, rig } from './fixtures.js';

test('SIGTERM with a job longer than the budget: requeued before exit, completed once by another worker', async () => {
  const r = await rig();
  try {
    // A long lock: if the job came back through stall detection it would take 20 s, not ~4 s.
    const env = { LAB_FIXES: 'all', JOB_MS: '4000', LOCK_MS: '20000', SHUTDOWN_DEADLINE_MS: '1500', WORKER_CONCURRENCY: '1' };
    const a = await r.startWorker(env);
    const data = job('bob', 7);
    await r.queue.add('ledger', data, JOB_OPTS);
    await a.waitFor((l) => l.event === 'job-started', 10_000);
    // SIGTERM while the 4 s job runs: worker b starts afterwards (its start-up, seconds on a loaded
    // machine, would otherwise eat into the job) and finds the requeued job waiting.
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    const aExit = a.exited.then((e) => ({ ...e, ms: Date.now() - t0 }));
    const b = await r.startWorker(env);
    const exit = await aExit;
    assert.equal(exit.code, 0, a.stderr());
    const exitMs = exit.ms;
    assert.ok(exitMs < 1500 + 1000, `exited within the deadline (+ process exit slack): ${exitMs} ms`);
    const requeued = events(a, 'job-requeued');
    assert.equal(requeued.length, 1);
    const exitLine = events(a, 'exit')[0]!;
    assert.ok(Date.parse(requeued[0]!.time) <= Date.parse(exitLine.time), 'requeued before exit');
    assert.ok(exitLine.msBeforeDeadline > 0, `finished before the deadline: ${JSON.stringify(exitLine)}`);

    const done = await b.waitFor((l) => l.event === 'job-completed' && l.idempotencyKey === data.idempotencyKey, 12_000);
    assert.ok(Date.parse(done.time) - t0 < 10_000, 'redelivered at once, not after lock expiry');
    const started = events(b, 'job-started').find((l) => l.idempotencyKey === data.idempotencyKey)!;
    assert.equal(started.stalledCount, 0, 'not through stall detection');
    assert.deepEqual(await auditJobs(r.client, [data]), { accepted: 1, applied: 1, lost: 0, duplicated: 0, unacknowledged: 0, balanceMismatches: 0 });
    assert.equal(await r.client.get('ledger:balance:bob'), '7');

    const listening = events(b, 'listening')[0]!;
    const m = await request(`http://127.0.0.1:${listening.metricsPort}/metrics`);
    const text = await m.body.text();
    assert.match(text, /^worker_jobs_completed_total 1$/m);
    const h = await request(`http://127.0.0.1:${listening.metricsPort}/healthz`);
    assert.equal(h.statusCode, 200);
    assert.deepEqual(await h.body.json(), { ok: true, state: 'running' });
  } finally {
    await r.stop();
  }
});

test('SIGTERM with a job that fits the budget: it finishes, nothing is requeued, exit 0', async () => {
  const r = await rig();
  try {
    const a = await r.startWorker({ LAB_FIXES: 'all', JOB_MS: '600', SHUTDOWN_DEADLINE_MS: '4000', WORKER_CONCURRENCY: '1' });
    const data = job('carol', 3);
    await r.queue.add('ledger', data, JOB_OPTS);
    await a.waitFor((l) => l.event === 'job-started', 10_000);
    a.child.kill('SIGTERM');
    const exit = await a.exited;
    assert.equal(exit.code, 0, a.stderr());
    assert.equal(events(a, 'job-requeued').length, 0);
    assert.equal(events(a, 'job-completed').length, 1);
    assert.equal(await r.client.get('ledger:balance:carol'), '3');
    assert.equal((await r.queue.getJobCounts('completed')).completed, 1);
  } finally {
    await r.stop();
  }
});

test('SIGTERM with pid1 but no requeue: closes at once, the job is left to stall detection', async () => {
  const r = await rig();
  try {
    const a = await r.startWorker({ LAB_FIXES: 'pid1', JOB_MS: '3000', LOCK_MS: '1000', SHUTDOWN_DEADLINE_MS: '4000', WORKER_CONCURRENCY: '1' });
    await r.queue.add('ledger', job('dave', 1), JOB_OPTS);
    await a.waitFor((l) => l.event === 'job-started', 10_000);
    a.child.kill('SIGTERM');
    const exit = await a.exited;
    assert.equal(exit.code, 0, a.stderr());
    assert.equal(events(a, 'job-requeued').length, 0);
    assert.equal((await r.queue.getJobCounts('active')).active, 1, 'abandoned in active');
  } finally {
    await r.stop();
  }
});

test('a second SIGTERM during the requeue shutdown exits 71 at once', async () => {
  const r = await rig();
  try {
    // The job fits the budget, so the first SIGTERM waits for it; the second one must not.
    const a = await r.startWorker({ LAB_FIXES: 'all', JOB_MS: '4000', SHUTDOWN_DEADLINE_MS: '20000', WORKER_CONCURRENCY: '1' });
    await r.queue.add('ledger', job('frank', 1), JOB_OPTS);
    await a.waitFor((l) => l.event === 'job-started', 10_000);
    a.child.kill('SIGTERM');
    await a.waitFor((l) => l.event === 'fetching-stopped', 5000);
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    const exit = await a.exited;
    assert.equal(exit.code, 71);
    assert.ok(Date.now() - t0 < 2000, 'at once');
    assert.equal(events(a, 'second-signal').length, 1);
  } finally {
    await r.stop();
  }
});
