// The `go` client resends exactly what Go's Transport resends (loadtest/client-semantics.ts), over
// real HTTP to a real server that hangs up on a kept-alive connection at the moment it is reused:
// the server counts requests per connection and, on the chosen one, destroys the socket as the
// request arrives (before writing anything) or after writing the first bytes of a response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LoadGenerator } from '../../loadtest/generator.js';
import { goRetries, isReplayable, type ClientName } from '../../loadtest/client-semantics.js';
import type { RequestRecord } from '../../loadtest/records.js';
import type { Scenario } from '../../loadtest/scenario.js';
import { waitUntil } from '../helpers/wait.js';
import { oneRouteScenario, startFixture } from './fixture-server.js';

type Fault = 'destroy' | 'partial-response';

/** A server whose `n`-th request on every connection meets `fault`; every other request is answered 200. */
async function hangUpOn(n: number, fault: Fault) {
  const perSocket = new WeakMap<Socket, number>();
  const seen = { connections: 0, requests: 0 };
  const srv = await startFixture((req: IncomingMessage, res: ServerResponse) => {
    seen.requests++;
    const k = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, k);
    if (k !== n) { res.setHeader('x-pod', 'pod-a'); res.end('ok'); return; }
    if (fault === 'partial-response') req.socket.write('HTTP/1.1 200 OK\r\n');
    req.socket.destroy();
  });
  srv.server.on('connection', () => { seen.connections++; });
  return { srv, seen };
}

/** Sends `count` requests of one route, each after the previous finished (5/s, each answered in a few ms), and returns them in order. */
async function run(origin: string, client: ClientName, scenario: Scenario, count = 2): Promise<RequestRecord[]> {
  const gen = new LoadGenerator({ scenario, rate: 5, targets: [{ path: 'l4', origin }], runId: `cs-${client}`, client });
  try {
    gen.start();
    await waitUntil(`${count} records`, () => gen.records.length >= count, 15_000);
  } finally {
    await gen.stop(0);
  }
  return [...gen.records].sort((a, b) => a.t_sched - b.t_sched).slice(0, count);
}

const post = (headers?: Record<string, string>): Scenario => {
  const s = oneRouteScenario('/x', 'POST');
  return { ...s, mix: [{ ...s.mix[0]!, body: '{"a":1}', ...(headers ? { headers } : {}) }] };
};

test('go: a GET that fails on a reused connection before any response byte is resent once, on a new connection, and succeeds', async () => {
  const { srv, seen } = await hangUpOn(2, 'destroy');
  try {
    const [first, second] = await run(srv.origin, 'go', oneRouteScenario());
    assert.equal(first!.class, 'ok');
    assert.equal(first!.reused, false);
    assert.equal(first!.respByte, true);
    assert.equal(first!.idempotent, true);
    assert.match(first!.peer ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(first!.pod, 'pod-a');
    assert.equal(second!.class, 'ok', `as the client saw it: ${JSON.stringify(second)}`);
    assert.equal(second!.retries, 1);
    assert.equal(second!.rawClass, 'reset');
    assert.equal(second!.reused, true, 'the tags describe the attempt that failed');
    assert.equal(second!.respByte, false);
    assert.ok(second!.sockAgeMs! >= 100, `the reused connection was opened with the first request, ${second!.sockAgeMs} ms before`);
    // on the wire: the failed attempt and its resend on a second connection
    assert.equal(seen.requests, 3);
    assert.equal(seen.connections, 2);
  } finally {
    await srv.close();
  }
});

test('node: the same GET is not resent; it fails as undici reports it', async () => {
  const { srv, seen } = await hangUpOn(2, 'destroy');
  try {
    const [, second] = await run(srv.origin, 'node', oneRouteScenario());
    assert.equal(second!.class, 'reset');
    assert.equal(second!.retries, undefined);
    assert.equal(second!.rawClass, undefined);
    assert.equal(second!.reused, true);
    assert.equal(second!.respByte, false);
    assert.equal(seen.requests, 2);
  } finally {
    await srv.close();
  }
});

test('go: a POST without an idempotency key is not resent; with Idempotency-Key it is', async () => {
  const plain = await hangUpOn(2, 'destroy');
  try {
    const [, second] = await run(plain.srv.origin, 'go', post());
    assert.equal(second!.idempotent, false);
    assert.equal(second!.class, 'reset');
    assert.equal(second!.retries, undefined);
    assert.equal(plain.seen.requests, 2);
  } finally {
    await plain.srv.close();
  }
  const keyed = await hangUpOn(2, 'destroy');
  try {
    const [, second] = await run(keyed.srv.origin, 'go', post({ 'Idempotency-Key': 'k-1' }));
    assert.equal(second!.idempotent, true);
    assert.equal(second!.class, 'ok');
    assert.equal(second!.retries, 1);
    assert.equal(keyed.seen.requests, 3);
  } finally {
    await keyed.srv.close();
  }
});

test('go: no resend once a response byte arrived', async () => {
  const { srv, seen } = await hangUpOn(2, 'partial-response');
  try {
    const [, second] = await run(srv.origin, 'go', oneRouteScenario());
    assert.notEqual(second!.class, 'ok');
    assert.equal(second!.respByte, true);
    assert.equal(second!.reused, true);
    assert.equal(second!.retries, undefined);
    assert.equal(seen.requests, 2);
  } finally {
    await srv.close();
  }
});

test('go: never a resend after a failure on a fresh connection', async () => {
  const { srv, seen } = await hangUpOn(1, 'destroy');
  try {
    const [first, second] = await run(srv.origin, 'go', oneRouteScenario());
    for (const r of [first!, second!]) {
      assert.equal(r.class, 'reset');
      assert.equal(r.reused, false);
      assert.equal(r.retries, undefined);
    }
    assert.equal(seen.requests, 2);
  } finally {
    await srv.close();
  }
});

test("Go's rule for the inputs no fixture can produce on demand: a write that failed, a timeout", () => {
  const base = { reused: true, responseByte: false, nothingWritten: false, replayable: false, cls: 'reset' as const };
  assert.equal(goRetries({ ...base, nothingWritten: true }), true, 'nothingWrittenError: resent whatever the method');
  assert.equal(goRetries({ ...base, nothingWritten: true, reused: false }), false);
  assert.equal(goRetries({ ...base, replayable: true, cls: 'timeout' }), false, 'a cancelled request is not resent');
  assert.equal(isReplayable('get'), true);
  assert.equal(isReplayable('POST', { 'x-idempotency-key': 'k' }), true);
  assert.equal(isReplayable('DELETE'), false);
});
