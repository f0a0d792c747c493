// The public HTTP contract of the service, its bad inputs (clear error, nothing changed), and a
// Redis lost while running.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { once, postJob, startService, type RunningService } from './harness.js';

let redis: ThrowawayRedis;
let svc: RunningService;
let admin: Redis;
let queue: Queue;

before(async () => {
  redis = await startRedis();
  svc = await startService(redis.url, { SLOW_MAX_MS: '5000', HOSTNAME: 'service-7d9f8-abcde' });
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  queue = new Queue(svc.queueName, { connection: { host: '127.0.0.1', port: redis.port } });
});
after(async () => {
  await queue?.close();
  admin?.disconnect();
  await svc?.stop();
  await redis?.stop();
});

async function jobCount(): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'paused');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

test('GET /fast, /healthz, /readyz, /metrics answer', async () => {
  assert.equal((await once(svc.url, '/fast')).status, 200);
  const health = await once(svc.url, '/healthz');
  assert.equal(health.status, 200);
  const ready = await once(svc.url, '/readyz');
  assert.equal(ready.status, 200);
  assert.deepEqual(JSON.parse(ready.body!), { ready: true, state: 'READY' });
  const metrics = await once(svc.url, '/metrics');
  assert.match(metrics.body!, /lab_http_requests_total\{route="\/fast",method="GET",status="200"\} 1/);
  assert.match(metrics.body!, /lab_lifecycle_state\{state="READY"\} 1/);
  for (const name of ['lab_http_in_flight', 'lab_http_open_connections', 'lab_sockets_force_closed_total', 'lab_shutdown_deadline_misses_total', 'lab_lifecycle_phase_seconds']) {
    assert.ok(metrics.body!.includes(name), `metrics include ${name}`);
  }
});

test('every answer names its pod in x-pod (HOSTNAME), refusals included', async () => {
  assert.equal((await once(svc.url, '/fast')).headers?.['x-pod'], 'service-7d9f8-abcde');
  const refused = await once(svc.url, '/slow?ms=99999');
  assert.equal(refused.status, 400);
  assert.equal(refused.headers?.['x-pod'], 'service-7d9f8-abcde');
});

test('GET /work does one Redis round trip per request', async () => {
  const a = JSON.parse((await once(svc.url, '/work')).body!).count as number;
  const b = JSON.parse((await once(svc.url, '/work')).body!).count as number;
  assert.equal(b, a + 1);
  assert.equal(Number(await admin.get('lab:work:count')), b);
});

test('GET /slow sleeps the asked time; default about 1 s', async () => {
  let t0 = Date.now();
  const r = await once(svc.url, '/slow?ms=300');
  assert.equal(r.status, 200);
  assert.ok(Date.now() - t0 >= 290);
  t0 = Date.now();
  assert.equal((await once(svc.url, '/slow')).status, 200);
  const took = Date.now() - t0;
  assert.ok(took >= 990 && took < 3000, `default /slow took ${took} ms`);
});

test('GET /slow with a bad ms → 400 naming the parameter and the range', async () => {
  for (const bad of ['abc', '-1', '5001', '1.5', '', '1e3', '99999999999']) {
    const r = await once(svc.url, `/slow?ms=${encodeURIComponent(bad)}`);
    assert.equal(r.status, 400, `ms=${bad}`);
    const body = JSON.parse(r.body!);
    assert.equal(body.error, 'LAB_BAD_QUERY');
    assert.match(body.message, /ms=.* must be an integer 0\.\.5000/);
  }
  assert.equal((await once(svc.url, '/slow?ms=1&ms=2')).status, 400, 'a repeated ms is refused too');
});

test('POST /jobs enqueues {account, amount, idempotencyKey} with jobId = idempotencyKey, and dedupes on it', async () => {
  const before = await jobCount();
  const a = await postJob(svc.url, { account: 'acct-1', amount: 7, idempotencyKey: 'key-abc' });
  assert.equal(a.status, 202);
  assert.deepEqual(JSON.parse(a.body!), { jobId: 'key-abc' });
  const again = await postJob(svc.url, { account: 'acct-1', amount: 7, idempotencyKey: 'key-abc' });
  assert.equal(again.status, 202);
  const gen = await postJob(svc.url, { account: 'acct-2', amount: 1000000 });
  assert.equal(gen.status, 202);
  const genId = JSON.parse(gen.body!).jobId as string;
  assert.match(genId, /^[0-9a-f-]{36}$/);
  assert.equal(await jobCount(), before + 2, 'same key twice is one job');
  const job = await queue.getJob(genId);
  assert.equal(job?.name, 'apply');
  assert.deepEqual(job?.data, { account: 'acct-2', amount: 1000000, idempotencyKey: genId });
  assert.deepEqual((await queue.getJob('key-abc'))?.data, { account: 'acct-1', amount: 7, idempotencyKey: 'key-abc' });
});

test('POST /jobs malformed → 400 LAB_BAD_JOB naming the field, nothing enqueued', async () => {
  const before = await jobCount();
  const cases: Array<[unknown, RegExp]> = [
    [{ amount: 5 }, /account is required/],
    [{ account: 'a' }, /amount is required/],
    [{ account: 'a b', amount: 5 }, /account must be/],
    [{ account: 'x'.repeat(65), amount: 5 }, /account must be/],
    [{ account: 'a', amount: '5' }, /amount must be an integer 1\.\.1000000/],
    [{ account: 'a', amount: 1.5 }, /amount must be/],
    [{ account: 'a', amount: 0 }, /amount must be/],
    [{ account: 'a', amount: 1000001 }, /amount must be/],
    [{ account: 'a', amount: 5, idempotencyKey: '' }, /idempotencyKey must be/],
    [{ account: 'a', amount: 5, idempotencyKey: 'k'.repeat(129) }, /idempotencyKey must be/],
    [{ account: 'a', amount: 5, idempotencyKey: 42 }, /idempotencyKey must be/],
    [{ account: 'a', amount: 5, idempotencyKey: '42' }, /idempotencyKey must be/],
    [{ account: 'a', amount: 5, idempotencyKey: 'a:b' }, /idempotencyKey must be/],
    [{ account: 'a', amount: 5, extra: 1 }, /unknown field "extra"/],
    [[1, 2], /body must be a JSON object/],
  ];
  for (const [body, re] of cases) {
    const r = await postJob(svc.url, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    const parsed = JSON.parse(r.body!);
    assert.equal(parsed.error, 'LAB_BAD_JOB');
    assert.match(parsed.message, re, JSON.stringify(body));
  }
  const syntax = await postJob(svc.url, undefined, '{"account":"a","amount":');
  assert.equal(syntax.status, 400);
  assert.equal(JSON.parse(syntax.body!).error, 'LAB_BAD_JOB');
  const text = await once(svc.url, '/jobs', { method: 'POST', body: 'account=a', headers: { 'content-type': 'text/plain' } });
  assert.equal(text.status, 400);
  assert.match(JSON.parse(text.body!).message, /body must be a JSON object/);
  const xml = await once(svc.url, '/jobs', { method: 'POST', body: '<job/>', headers: { 'content-type': 'application/xml' } });
  assert.equal(xml.status, 415);
  assert.equal(JSON.parse(xml.body!).error, 'LAB_BAD_JOB');
  assert.equal(await jobCount(), before, 'nothing was enqueued');
});

test('GET /accounts/:id reads the ledger balance (0 when absent); a bad id → 400', async () => {
  await admin.set('ledger:balance:acct-9', '42');
  assert.deepEqual(JSON.parse((await once(svc.url, '/accounts/acct-9')).body!), { account: 'acct-9', balance: 42 });
  assert.deepEqual(JSON.parse((await once(svc.url, '/accounts/nobody')).body!), { account: 'nobody', balance: 0 });
  const bad = await once(svc.url, '/accounts/a%20b');
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body!).error, 'LAB_BAD_QUERY');
});

// Last: it takes Redis away from the shared service.
test('Redis lost while running: /work and POST /jobs answer 503 with a clear body, the process lives on', async () => {
  await redis.stop();
  const work = await once(svc.url, '/work');
  assert.equal(work.status, 503);
  const body = JSON.parse(work.body!);
  assert.equal(body.error, 'LAB_REDIS_UNREACHABLE');
  assert.match(body.message, /GET \/work needs Redis/);
  const job = await postJob(svc.url, { account: 'a', amount: 1 });
  assert.equal(job.status, 503);
  assert.equal(JSON.parse(job.body!).error, 'LAB_REDIS_UNREACHABLE');
  assert.equal((await once(svc.url, '/fast')).status, 200, 'routes without Redis still work');
  assert.equal(svc.proc.child.exitCode, null, 'not crashed');
});
