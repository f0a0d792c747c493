import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode } from '../helpers/proc.js';
import { createServer } from 'node:net';
import { freePort } from '../helpers/ports.js';
import { events, job, JOB_OPTS, rig, WORKER } from './fixtures.js';

test('malformed jobs land in the failed set once, with the reason; the ledger is untouched; good jobs still run', async () => {
  const r = await rig();
  try {
    const w = await r.startWorker({ JOB_MS: '50' });
    const bad = [
      { name: 'no-account', data: { amount: 5, idempotencyKey: 'k1' }, reason: /LAB_BAD_JOB.*account must be/ },
      { name: 'fraction', data: { account: 'eve', amount: 1.5, idempotencyKey: 'k2' }, reason: /LAB_BAD_JOB.*amount must be an integer, got 1.5/ },
      { name: 'string-amount', data: { account: 'eve', amount: '5', idempotencyKey: 'k3' }, reason: /amount must be an integer, got "5"/ },
      { name: 'no-key', data: { account: 'eve', amount: 5 }, reason: /idempotencyKey must be a non-empty string/ },
    ];
    for (const b of bad) await r.queue.add(b.name, b.data, JOB_OPTS);
    const good = job('eve', 9);
    await r.queue.add('ledger', good, JOB_OPTS);
    await w.waitFor((l) => l.event === 'job-completed' && l.idempotencyKey === good.idempotencyKey, 10_000);
    const deadline = Date.now() + 10_000;
    while (((await r.queue.getJobCounts('failed')).failed ?? 0) < bad.length && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    const failed = await r.queue.getFailed();
    assert.equal(failed.length, bad.length);
    for (const b of bad) {
      const f = failed.find((j) => j.name === b.name)!;
      assert.match(f.failedReason, b.reason);
      assert.equal(f.attemptsMade, 1, `${b.name} not retried although attempts=5`);
    }
    assert.equal(events(w, 'job-failed').length, bad.length);
    assert.deepEqual(await r.client.lrange('ledger:effects', 0, -1), [good.idempotencyKey]);
    assert.equal(await r.client.get('ledger:balance:eve'), '9');
  } finally {
    await r.stop();
  }
});

async function badStart(env: Record<string, string>) {
  const p = startNode(WORKER, { METRICS_PORT: '0', HOST: '127.0.0.1', ...env });
  const exit = await p.exited;
  // The messages and event names, unescaped, so the assertions read like what a user sees.
  const text = p.lines.map((l) => (typeof l === 'string' ? l : `${l.event} ${l.msg}`)).join('\n');
  return { exit, text };
}

test('bad environment: exit 1 with a line naming the problem', async () => {
  const port = await freePort();
  const r = await rig();
  // A port held by another listener, so the worker's metrics server cannot bind it.
  const taken = { port: await freePort() };
  const blocker = createServer().listen(taken.port, '127.0.0.1');
  try {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ LAB_FIXES: 'pid1,bogus' }, /LAB_UNKNOWN_LEVER.*bogus.*pid1, readiness, drain, requeue, surge/],
      [{ JOB_MS: 'slow' }, /LAB_BAD_ENV.*JOB_MS="slow" is not an integer/],
      [{ QUEUE_NAME: 'a:b' }, /LAB_BAD_ENV.*QUEUE_NAME="a:b" must match/],
      [{ WORKER_CONCURRENCY: '0' }, /LAB_BAD_ENV.*WORKER_CONCURRENCY=0 is out of range/],
      [{ REDIS_URL: 'http://127.0.0.1:1' }, /LAB_BAD_ENV.*REDIS_URL.*redis:\/\//],
      [{ REDIS_URL: `redis://127.0.0.1:${port}` }, /LAB_REDIS_UNREACHABLE/],
      [{ REDIS_URL: r.redis.url, METRICS_PORT: String(taken.port) }, /LAB_PORT_TAKEN.*METRICS_PORT/],
    ];
    for (const [env, re] of cases) {
      const { exit, text } = await badStart(env);
      assert.equal(exit.code, 1, `${JSON.stringify(env)}: ${text}`);
      assert.match(text, re);
      assert.match(text, /^exit /m);
      assert.ok(exit.elapsedMs < 15_000, `bounded: ${exit.elapsedMs} ms`);
    }
  } finally {
    blocker.close();
    await r.stop();
  }
});
