// Bad configuration refuses to start: exit 1 with one clear line naming the problem.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { startNode } from '../helpers/proc.js';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { events, exitedWithLogs, SERVICE } from './harness.js';

let redis: ThrowawayRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis?.stop(); });

/** Runs the service with `env` and expects it to refuse: exit 1 and a start-failed line. */
async function refuses(env: Record<string, string>, timeoutMs = 10_000) {
  const proc = startNode(SERVICE, { HOST: '127.0.0.1', PORT: String(await freePort()), REDIS_URL: redis.url, ...env });
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  try {
    const exit = await exitedWithLogs(proc);
    assert.equal(exit.code, 1, `exit code for ${JSON.stringify(env)}; stderr: ${proc.stderr()}`);
    const failed = events(proc, 'start-failed')[0];
    assert.ok(failed, 'a start-failed line');
    assert.equal(events(proc, 'exit')[0]?.exitCode, 1);
    assert.equal(events(proc, 'listening').length, 0);
    return { failed, exit };
  } finally {
    clearTimeout(timer);
  }
}

test('an unknown lever in LAB_FIXES refuses to start and lists the valid ids', async () => {
  const { failed } = await refuses({ LAB_FIXES: 'pid1,drian' });
  assert.equal(failed.code, 'LAB_UNKNOWN_LEVER');
  assert.match(failed.msg, /"drian"/);
  assert.match(failed.msg, /none, all, or a comma list of pid1, readiness, drain, requeue, surge/);
});

test('bad environment values refuse to start, naming the variable', async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /PORT="abc" is not an integer/],
    [{ PORT: '70000' }, /PORT=70000 is out of range/],
    [{ DRAIN_DELAY_MS: '-5' }, /DRAIN_DELAY_MS=-5 is out of range/],
    [{ SHUTDOWN_DEADLINE_MS: '1.5' }, /SHUTDOWN_DEADLINE_MS="1.5" is not an integer/],
    [{ CLOSE_JITTER_MS: 'soon' }, /CLOSE_JITTER_MS="soon"/],
    [{ SLOW_MAX_MS: '999999999' }, /SLOW_MAX_MS=999999999 is out of range/],
    [{ DRAIN_DELAY_MS: '9000', SHUTDOWN_DEADLINE_MS: '8000' }, /DRAIN_DELAY_MS=9000 must be less than SHUTDOWN_DEADLINE_MS=8000/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL=.* must use redis:\/\//],
    [{ QUEUE_NAME: 'a:b' }, /QUEUE_NAME="a:b" must match/],
    [{ KEEPALIVE_TIMEOUT_MS: '0' }, /KEEPALIVE_TIMEOUT_MS=0 is out of range/],
    [{ IDLE_CLOSE: 'later' }, /IDLE_CLOSE="later" must be one of jitter, client-window/],
    [{ CLIENT_IDLE_WINDOW_MS: '-1' }, /CLIENT_IDLE_WINDOW_MS=-1 is out of range/],
    [{ KEEPALIVE_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '5000' }, /HEADERS_TIMEOUT_MS=5000 must be greater than KEEPALIVE_TIMEOUT_MS=5000/],
    [{ KEEPALIVE_TIMEOUT_MS: '80000' }, /HEADERS_TIMEOUT_MS=73000 must be greater than KEEPALIVE_TIMEOUT_MS=80000/],
  ];
  for (const [env, re] of cases) {
    const { failed, exit } = await refuses(env);
    assert.equal(failed.code, 'LAB_BAD_ENV', JSON.stringify(env));
    assert.match(failed.msg, re);
    assert.ok(exit.elapsedMs < 5000, 'refused at once, before any connection');
  }
});

test('unreachable Redis at start: exit 1 with LAB_REDIS_UNREACHABLE naming REDIS_URL within the bound', async () => {
  const deadPort = await freePort();
  const url = `redis://127.0.0.1:${deadPort}`;
  const { failed, exit } = await refuses({ REDIS_URL: url, REDIS_CONNECT_TIMEOUT_MS: '1500' });
  assert.equal(failed.code, 'LAB_REDIS_UNREACHABLE');
  assert.ok(failed.msg.includes(`REDIS_URL=${url}`), failed.msg);
  assert.ok(exit.elapsedMs >= 1400 && exit.elapsedMs < 1500 * 3 + 1000, `gave up after ${exit.elapsedMs} ms`);
});

test('unreachable Redis with the default bound gives up within about 5 s, masking a password', async () => {
  const deadPort = await freePort();
  const { failed, exit } = await refuses({ REDIS_URL: `redis://user:s3cret@127.0.0.1:${deadPort}` }, 20_000);
  assert.equal(failed.code, 'LAB_REDIS_UNREACHABLE');
  assert.ok(!failed.msg.includes('s3cret'), 'password masked');
  assert.ok(exit.elapsedMs >= 4900 && exit.elapsedMs < 15_000, `gave up after ${exit.elapsedMs} ms`);
});

test('a port already in use: exit 1 with LAB_PORT_TAKEN naming address and port', async () => {
  const port = await freePort();
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
  try {
    const { failed } = await refuses({ PORT: String(port) });
    assert.equal(failed.code, 'LAB_PORT_TAKEN');
    assert.match(failed.msg, new RegExp(`127\\.0\\.0\\.1:${port}`));
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});
