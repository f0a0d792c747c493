import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createEffect } from '../../worker/effect.js';
import { auditJobs, auditJobsDetail } from '../../lab/support/ledger-audit.js';
import { startRedis } from '../helpers/redis.js';

test('two workers racing on one key: the Lua guard applies it exactly once', async () => {
  const redis = await startRedis();
  const a = new Redis(redis.url);
  const b = new Redis(redis.url);
  try {
    const job = { account: 'race', amount: 10, idempotencyKey: 'same-key' };
    const ea = createEffect(a, 'idempotent');
    const eb = createEffect(b, 'idempotent');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? ea : eb).apply(job)));
    assert.equal(results.filter((r) => r.applied).length, 1);
    assert.ok(results.every((r) => r.balance === 10), 'the suppressed ones report the balance as it is');
    assert.equal(await a.get('ledger:balance:race'), '10');
    assert.deepEqual(await a.lrange('ledger:effects', 0, -1), ['same-key']);
    // The naive effect on the same connections: every call counts, which is what the audit catches.
    const naive = createEffect(a, 'naive');
    await Promise.all([naive.apply({ ...job, account: 'naive' }), naive.apply({ ...job, account: 'naive' })]);
    assert.equal(await a.get('ledger:balance:naive'), '20');
  } finally {
    a.disconnect();
    b.disconnect();
    await redis.stop();
  }
});

test('auditJobs counts applied, lost, duplicated, unacknowledged and off-balance accounts', async () => {
  const redis = await startRedis();
  const r = new Redis(redis.url);
  try {
    const naive = createEffect(r, 'naive');
    const accepted = [
      { idempotencyKey: 'k1', account: 'x', amount: 5 },
      { idempotencyKey: 'k2', account: 'x', amount: 7 }, // applied twice
      { idempotencyKey: 'k3', account: 'y', amount: 1 }, // never applied: lost
      { idempotencyKey: 'k1', account: 'x', amount: 5 }, // a client retry of k1: the same job
    ];
    await naive.apply({ idempotencyKey: 'k1', account: 'x', amount: 5 });
    await naive.apply({ idempotencyKey: 'k2', account: 'x', amount: 7 });
    await naive.apply({ idempotencyKey: 'k2', account: 'x', amount: 7 });
    await naive.apply({ idempotencyKey: 'k9', account: 'z', amount: 4 }); // no 202 was seen for it
    assert.deepEqual(await auditJobs(r, accepted), { accepted: 3, applied: 2, lost: 1, duplicated: 1, unacknowledged: 1, balanceMismatches: 2 });
    const d = await auditJobsDetail(r, accepted);
    assert.deepEqual(d.lostKeys, ['k3']);
    assert.deepEqual(d.duplicatedKeys, [{ idempotencyKey: 'k2', count: 2 }]);
    assert.deepEqual(d.accounts.map((a) => [a.account, a.balance, a.expected]), [['x', 19, 12], ['y', 0, 0], ['z', 4, 0]]);
    assert.deepEqual(await auditJobs(r, []), { accepted: 0, applied: 0, lost: 0, duplicated: 1, unacknowledged: 3, balanceMismatches: 2 });
  } finally {
    r.disconnect();
    await redis.stop();
  }
});
