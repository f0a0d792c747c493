// The local target's additions for long-lived connections: a deregistration delay longer than
// the propagation delay, and WebSocket upgrades through the in-lab ingress (real sockets).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { LaggedView } from '../../lab/targets/local/endpoints.js';
import { IngressProxy } from '../../lab/targets/local/ingress.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/wait.js';

test('LaggedView: additions arrive after the propagation delay, removals only after the deregistration delay', async () => {
  const view = new LaggedView('service', 50, () => undefined, 600);
  const ep = { pod: 'p1', ip: '127.0.0.1', ports: [1] };
  const t0 = Date.now();
  view.apply('add', ep);
  await waitUntil('add', () => view.has('p1'), 2000);
  const addMs = Date.now() - t0;
  const t1 = Date.now();
  view.apply('remove', ep);
  // Still there right after the removal and (the bound below) until the deregistration delay ran out.
  assert.ok(view.has('p1'), 'a removed endpoint still gets new connections during the deregistration delay');
  await waitUntil('remove', () => !view.has('p1'), 3000);
  assert.ok(Date.now() - t1 >= 590, `removed after ${Date.now() - t1} ms`);
  assert.ok(addMs < 590, `added after ${addMs} ms`);
  view.close();
});

test('the ingress proxies a WebSocket upgrade, moving past an endpoint that refuses the connection', async () => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws, req) => ws.send(`hello ${req.url} via ${String(req.headers['x-forwarded-for'])}`));
  const port = await freePort();
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
  const dead = await freePort(); // nothing listens there: ECONNREFUSED
  const view = new LaggedView('service', 0, () => undefined);
  view.apply('add', { pod: 'dead', ip: '127.0.0.1', ports: [dead] });
  view.apply('add', { pod: 'live', ip: '127.0.0.1', ports: [port] });
  const attempts: Array<{ pod: string; outcome: number | string }> = [];
  const ingress = new IngressProxy(() => ({ view, portIndex: 0 }), undefined, (a) => attempts.push(a));
  await ingress.listen('127.0.0.1', await freePort());
  try {
    for (let i = 0; i < 2; i++) { // round robin: one of the two starts at the dead endpoint
      const ws = new WebSocket(`${ingress.url.replace('http', 'ws')}/ws?lastEventId=1-0`);
      const msg = await new Promise<string>((resolve, reject) => { ws.once('message', (d) => resolve(String(d))); ws.once('error', reject); });
      assert.match(msg, /^hello \/ws\?lastEventId=1-0 via 127\.0\.0\.1/);
      const closed = new Promise((r) => ws.once('close', r));
      ws.close(1000);
      await closed;
    }
    assert.ok(attempts.some((a) => a.pod === 'dead' && a.outcome === 'ECONNREFUSED'), JSON.stringify(attempts));
    assert.equal(attempts.filter((a) => a.outcome === 101).length, 2);
  } finally {
    await ingress.close();
    wss.close();
    await new Promise((r) => http.close(r));
    view.close();
  }
});
