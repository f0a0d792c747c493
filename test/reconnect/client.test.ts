import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersistentClient, type ConnEvent, type Req } from '../../lab/experiments/reconnect/client.js';
import { l4Dialer } from '../../lab/experiments/reconnect/dialer.js';
import { LaggedView } from '../../lab/targets/local/endpoints.js';
import { makeCert } from '../reload/certs.js';
import { until } from '../reload/client.js';
import { startService, type RunningService } from '../reload/service.js';
import { freePort } from '../helpers/ports.js';

// Real service processes serving HTTPS, the lab's L4 dialer over a routing view, real SIGTERM:
// a client whose connection the server closes dials again at once, with a full TLS handshake,
// before it has any request to send.

const certDir = mkdtempSync(join(tmpdir(), 'rc-certs-'));
const services: RunningService[] = [];
const clients: PersistentClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(services.map((s) => s.stop()));
  rmSync(certDir, { recursive: true, force: true });
});

const cert = makeCert(certDir, 'svc');
const files = { 'config.yaml': 'slowDefaultMs: 10\ntls: {certFile: tls.crt, keyFile: tls.key}\n', 'tls.crt': cert.cert, 'tls.key': cert.key };
const portsOf = (s: RunningService) => [Number(new URL(s.base).port), Number(new URL(s.httpsBase).port)];
const noEmit = () => undefined;

function population(n: number, view: LaggedView, policy: 'immediate' | 'backoff', tls: boolean) {
  const conns: ConnEvent[] = [];
  const reqs: Req[] = [];
  const dial = l4Dialer(view, tls ? 1 : 0, tls);
  const cs = Array.from({ length: n }, (_, i) => new PersistentClient(i, dial, policy, { conn: (e) => conns.push(e), req: (r) => reqs.push(r) }));
  clients.push(...cs);
  return { cs, conns, reqs };
}

test('a closed connection is dialed again at once, with a new TLS handshake, to a pod of the current view', async () => {
  const env = { CLOSE_JITTER_MS: '0', DRAIN_DELAY_MS: '0', SHUTDOWN_DEADLINE_MS: '4000' };
  const [a, b] = await Promise.all([startService(files, { https: true, env }), startService(files, { https: true, env })]);
  services.push(a!, b!);
  const view = new LaggedView('service', 0, noEmit);
  view.apply('add', { pod: 'a', ip: '127.0.0.1', ports: portsOf(a!) });
  const { cs, conns, reqs } = population(5, view, 'immediate', true);
  assert.deepEqual(await Promise.all(cs.map((c) => c.connect())), [true, true, true, true, true]);
  assert.ok(conns.every((e) => e.kind === 'connect' && e.pod === 'a' && !e.reconnect && e.tlsMs !== undefined), JSON.stringify(conns));

  // the routing layer drops a before it is told to stop (readiness + propagation), then SIGTERM
  view.apply('remove', { pod: 'a', ip: '127.0.0.1', ports: [] });
  view.apply('add', { pod: 'b', ip: '127.0.0.1', ports: portsOf(b!) });
  a!.proc.child.kill('SIGTERM');
  // no request is scheduled: only a client that re-dials on close can get here
  await until('every client reconnected to b', async () => conns.filter((e) => e.kind === 'connect' && e.reconnect && e.pod === 'b').length, (n) => n === 5, 15_000);
  for (const c of conns.filter((e) => e.kind === 'close')) {
    const next = conns.find((e) => e.kind === 'connect' && e.client === c.client && e.t >= c.t)!;
    assert.equal(c.pod, 'a');
    assert.ok(next.dialT - c.t < 1000, `client ${c.client} waited ${next.dialT - c.t} ms to re-dial`);
    assert.ok(next.tlsMs !== undefined, 'every reconnect is a full TLS handshake');
  }
  // and undici sends over the socket the client dialed
  cs.forEach((c) => c.startRequests(100, 0));
  await until('requests answered by b', async () => reqs.filter((r) => r.class === 'ok' && r.pod === 'b').length, (n) => n >= 10, 15_000);
  assert.equal(reqs.filter((r) => r.class !== 'ok').length, 0, JSON.stringify(reqs.filter((r) => r.class !== 'ok')));
});

test('refused dials: immediate clients retry every 100 ms, backoff clients far less often', async () => {
  const closed = await freePort();
  const view = new LaggedView('service', 0, noEmit);
  view.apply('add', { pod: 'gone', ip: '127.0.0.1', ports: [closed] });
  const fast = population(5, view, 'immediate', false);
  const slow = population(5, view, 'backoff', false);
  const first = await Promise.all([...fast.cs, ...slow.cs].map((c) => c.connect()));
  assert.deepEqual(first, Array(10).fill(false));
  await new Promise((r) => setTimeout(r, 2000));
  await Promise.all([...fast.cs, ...slow.cs].map((c) => c.close()));
  const fails = (p: { conns: ConnEvent[] }) => p.conns.filter((e) => e.kind === 'fail').length / 5;
  assert.ok(fast.conns.every((e) => e.kind === 'fail' && e.code === 'ECONNREFUSED'));
  assert.ok(fails(fast) >= 5, `immediate: ${fails(fast)} dials per client in 2 s`);
  assert.ok(fails(slow) < fails(fast) / 2, `backoff ${fails(slow)} vs immediate ${fails(fast)} dials per client`);
});
