import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { LoadGenerator } from '../../loadtest/generator.js';
import type { ErrorClass } from '../../loadtest/classes.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/wait.js';
import { oneRouteScenario, startFixture, type Handler } from './fixture-server.js';

async function classesFrom(origin: string, opts: { timeoutMs?: number } = {}): Promise<Set<ErrorClass>> {
  const gen = new LoadGenerator({ scenario: oneRouteScenario(), rate: 20, targets: [{ path: 'l4', origin }], runId: 'c', ...opts });
  gen.start();
  // Four finished requests (each one of the classes asserted on), however slow the machine.
  await waitUntil('four finished requests', () => gen.records.length >= 4, 15_000);
  await gen.stop();
  return new Set(gen.records.map((r) => r.class));
}

async function withServer(h: Handler, fn: (origin: string) => Promise<void>) {
  const srv = await startFixture(h);
  try { await fn(srv.origin); } finally { await srv.close(); }
}

test('connection refused from a port with no listener', async () => {
  const port = await freePort();
  assert.deepEqual([...await classesFrom(`http://127.0.0.1:${port}`)], ['refused']);
});

test('reset: the server sends an RST mid-response', async () => {
  await withServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
    setTimeout(() => (res.socket as Socket).resetAndDestroy(), 20);
  }, async (origin) => assert.deepEqual([...await classesFrom(origin)], ['reset']));
});

test('reset: the server closes the socket without answering', async () => {
  await withServer((req) => { req.socket.destroy(); }, async (origin) => assert.deepEqual([...await classesFrom(origin)], ['reset']));
});

test('timeout: no answer within the request timeout', async () => {
  await withServer(() => { /* never answers */ }, async (origin) =>
    assert.deepEqual([...await classesFrom(origin, { timeoutMs: 300 })], ['timeout']));
});

test('HTTP statuses: 502, 503, other 5xx, 2xx', async () => {
  for (const [status, cls] of [[502, 'http_502'], [503, 'http_503'], [500, 'http_5xx_other'], [202, 'ok'], [404, 'other']] as const) {
    await withServer((_req, res) => { res.statusCode = status; res.end(); }, async (origin) =>
      assert.deepEqual([...await classesFrom(origin)], [cls], `status ${status}`));
  }
});
