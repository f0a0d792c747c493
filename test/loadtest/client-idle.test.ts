// How long each client keeps an idle keep-alive connection (loadtest/client-semantics.ts idleOptions),
// over real sockets: a raw server announces `Keep-Alive: timeout=3` and never closes a connection
// itself, so a connection ends only when the client drops it. Node's client (undici) honours the hint
// (3 s minus its 2 s threshold: closed after about 1 s idle); Go's Transport ignores it and still
// reuses the connection 4 s later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { LoadGenerator } from '../../loadtest/generator.js';
import { idleOptions, type ClientName } from '../../loadtest/client-semantics.js';
import { waitUntil } from '../helpers/wait.js';
import { oneRouteScenario } from './fixture-server.js';

const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=3\r\n\r\nok';

async function hintServer() {
  const seen = { connections: 0, requests: 0, clientClosed: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    seen.connections++;
    sockets.add(s);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n\r\n'); i >= 0; i = buf.indexOf('\r\n\r\n')) { buf = buf.slice(i + 4); seen.requests++; s.write(RESPONSE); }
    });
    s.on('end', () => { seen.clientClosed++; s.end(); });
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** Two GETs 4 s apart (0.25/s), one client: how many connections the server saw and who closed them. */
async function twoGets(client: ClientName) {
  const srv = await hintServer();
  const gen = new LoadGenerator({ scenario: oneRouteScenario(), rate: 0.25, targets: [{ path: 'l4', origin: srv.origin }], runId: `idle-${client}`, client });
  try {
    gen.start();
    await waitUntil('two answers', () => gen.records.length >= 2, 15_000);
    const seen = { ...srv.seen }; // before stop(), whose pool close ends the connection too
    await gen.stop(0);
    return { seen, records: gen.records };
  } finally {
    await srv.close();
  }
}

test('go: the server\'s Keep-Alive hint is ignored; a connection idle 4 s (hint 3 s) is reused', async () => {
  const { seen, records } = await twoGets('go');
  assert.deepEqual(records.map((r) => r.class), ['ok', 'ok']);
  assert.equal(seen.requests, 2);
  assert.equal(seen.connections, 1, 'both requests on one connection');
  assert.equal(records[1]!.reused, true);
  assert.equal(seen.clientClosed, 0, 'the client never closed it while idle');
});

test('node: undici honours the hint (3 s − 2 s): the idle connection is closed before the second GET, which dials anew', async () => {
  const { seen, records } = await twoGets('node');
  assert.deepEqual(records.map((r) => r.class), ['ok', 'ok']);
  assert.equal(seen.connections, 2);
  assert.ok(seen.clientClosed >= 1, 'the client closed the idle connection itself');
  assert.equal(records[1]!.reused, false);
});

test('idleOptions: go ignores any hint up to a day; node keeps undici\'s defaults', () => {
  const go = idleOptions('go');
  // undici's rule: min(hint − threshold, max)
  for (const hintMs of [0, 1000, 5000, 3_600_000]) assert.equal(Math.min(hintMs - go.keepAliveTimeoutThreshold!, go.keepAliveMaxTimeout!), go.keepAliveTimeout);
  assert.deepEqual(idleOptions('node'), {});
});
