import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byId, container, deployment, doctorOn, env, ids } from './fixtures.js';

const worker = (c: Record<string, any>, grace?: number) => doctorOn([deployment('worker', { ...c, ports: undefined }, {}, grace === undefined ? {} : { terminationGracePeriodSeconds: grace })]);
const lab = (fixes: string) => container({ command: ['node', 'dist/worker/main.js'], env: env({ LAB_FIXES: fixes, LOCK_MS: '5000', SHUTDOWN_DEADLINE_MS: '6000' }) });

test('requeue-no-handback: the lab worker without requeue is found, with its LOCK_MS redelivery; with requeue, not', async () => {
  const [f] = byId(await worker(lab('pid1,drain')), 'requeue-no-handback');
  assert.ok(f);
  assert.match(f.why, /5 s lock \(LOCK_MS\) \+ 5 s stall check \(LOCK_MS\)/);
  assert.deepEqual(byId(await worker(lab('pid1,requeue')), 'requeue-no-handback'), []);
  // requeue without pid1 never runs: that is reported once, as a pid1 finding
  const r = await worker(lab('requeue'));
  assert.deepEqual(ids(r).filter((i) => i.startsWith('requeue')), []);
  assert.equal(byId(r, 'pid1-no-sigterm-handler').length, 1);
});

test('requeue-job-exceeds-grace: a visible job time longer than the grace period is found; a short one is not', async () => {
  const c = (jobMs: string) => container({ env: env({ LOCK_DURATION_MS: '30000', JOB_TIMEOUT_MS: jobMs }) });
  const [f] = byId(await worker(c('60000'), 30), 'requeue-job-exceeds-grace');
  assert.ok(f);
  assert.match(f.why, /takes 60 s \(JOB_TIMEOUT_MS\) but only 30 s remain/);
  assert.deepEqual(byId(await worker(c('10000'), 30), 'requeue-job-exceeds-grace'), []);
});

test('requeue-handback-unknown: a consumer with lock settings in env is an info naming the BullMQ defaults it assumes; no queue env, nothing', async () => {
  const [f] = byId(await worker(container({ env: env({ LOCK_DURATION_MS: '20000' }) })), 'requeue-handback-unknown');
  assert.ok(f);
  assert.equal(f.severity, 'info');
  assert.match(f.why, /20 s lock \(LOCK_DURATION_MS\) \+ 30 s stall check \(BullMQ default stalledInterval\)/);
  assert.deepEqual(ids(await worker(container())).filter((i) => i.startsWith('requeue')), []);
});
