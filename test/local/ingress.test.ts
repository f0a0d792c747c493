import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { request } from 'undici';
import { LaggedView } from '../../lab/targets/local/endpoints.js';
import { INGRESS_NGINX_DEFAULTS, IngressProxy, type Attempt } from '../../lab/targets/local/ingress.js';
import { freePort } from '../helpers/ports.js';
import { startNode, type Proc } from '../helpers/proc.js';
import { FIXTURE_SERVER } from './helpers.js';

// The L7 proxy on its own, against real fixture processes, with a routing view filled by hand so
// the order of upstreams is known: what ingress-nginx does when an upstream's listener closes.

const running: Proc[] = [];
let proxy: IngressProxy | undefined;

async function upstream(name: string, mode = 'close-listener'): Promise<{ proc: Proc; port: number; name: string }> {
  const port = await freePort();
  const proc = startNode(FIXTURE_SERVER, { HOST: '127.0.0.1', PORT: String(port), ON_SIGTERM: mode, HOSTNAME: name });
  running.push(proc);
  await proc.waitFor((l) => l.event === 'listening');
  return { proc, port, name };
}

async function setup(names: string[], tuning = INGRESS_NGINX_DEFAULTS) {
  const ups = await Promise.all(names.map((n) => upstream(n)));
  const view = new LaggedView('service', 0, () => undefined);
  for (const u of ups) view.apply('add', { pod: u.name, ip: '127.0.0.1', ports: [u.port] });
  const attempts: Attempt[] = [];
  proxy = new IngressProxy(() => ({ view, portIndex: 0 }), tuning, (a) => attempts.push(a));
  await proxy.listen('127.0.0.1', await freePort());
  return { ups, view, attempts, url: proxy.url };
}

const call = async (url: string, method: 'GET' | 'POST', path = '/x') => {
  const res = await request(`${url}${path}`, { method, body: method === 'POST' ? '{"amount":1}' : undefined });
  return { status: res.statusCode, body: await res.body.text() };
};

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  for (const p of running.splice(0)) { p.child.kill('SIGKILL'); await p.exited; }
});
after(() => assert.equal(running.length, 0));

describe('ingress proxy with ingress-nginx defaults', () => {
  test('the pool of an upstream that is gone is dropped; the live one is kept while its connection is open', async () => {
    const { ups, url } = await setup(['a', 'b']);
    assert.equal((await call(url, 'GET')).status, 200);
    assert.equal((await call(url, 'GET')).status, 200);
    const origin = (u: { port: number }) => `http://127.0.0.1:${u.port}`;
    assert.deepEqual(proxy!.poolOrigins().sort(), [origin(ups[0]!), origin(ups[1]!)].sort());
    ups[0]!.proc.child.kill('SIGKILL');
    await ups[0]!.proc.exited;
    for (const end = Date.now() + 10_000; proxy!.poolOrigins().includes(origin(ups[0]!));) {
      if (Date.now() > end) throw new Error(`the pool of the killed upstream was never dropped: ${proxy!.poolOrigins().join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(proxy!.poolOrigins().includes(origin(ups[1]!)), 'the live upstream keeps its pool (its keep-alive connection is open)');
  });

  test('GET on a kept-alive connection to a closed upstream is retried on the next upstream and succeeds', async () => {
    const { ups, attempts, url } = await setup(['a', 'b']);
    assert.equal((await call(url, 'GET')).status, 200); // a: opens a pooled connection
    assert.equal((await call(url, 'GET')).status, 200); // b
    ups[0]!.proc.child.kill('SIGTERM');
    await ups[0]!.proc.waitFor((l) => l.event === 'listener-closed');
    attempts.length = 0;
    const r = await call(url, 'GET');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).pod, 'b');
    assert.equal(attempts.length, 2, JSON.stringify(attempts));
    assert.equal(attempts[0]!.pod, 'a');
    assert.equal(attempts[0]!.sent, true);
    assert.equal(attempts[1]!.outcome, 200);
  });

  test('POST sent on that connection is never retried: 502 with nginx\'s page', async () => {
    const { ups, attempts, url } = await setup(['a', 'b']);
    await call(url, 'GET');
    await call(url, 'GET');
    ups[0]!.proc.child.kill('SIGTERM');
    await ups[0]!.proc.waitFor((l) => l.event === 'listener-closed');
    attempts.length = 0;
    const r = await call(url, 'POST');
    assert.equal(r.status, 502);
    assert.match(r.body, /<title>502 Bad Gateway<\/title>[\s\S]*<center>nginx<\/center>/);
    assert.deepEqual(attempts.map((a) => [a.pod, a.sent]), [['a', true]]);
  });

  test('POST whose connect is refused was never sent, so nginx does pass it to the next upstream', async () => {
    const { ups, attempts, url } = await setup(['a', 'b']);
    ups[0]!.proc.child.kill('SIGTERM'); // no pooled connection to a: the next try must connect
    await ups[0]!.proc.waitFor((l) => l.event === 'listener-closed');
    const r = await call(url, 'POST');
    assert.equal(r.status, 200);
    assert.deepEqual(attempts.map((a) => [a.pod, a.sent, a.outcome]), [['a', false, 'ECONNREFUSED'], ['b', true, 200]]);
  });

  test('every upstream refusing: 3 tries at most, then 502; no endpoints at all: 503', async () => {
    const { ups, attempts, url, view } = await setup(['a', 'b', 'c', 'd']);
    for (const u of ups) { u.proc.child.kill('SIGTERM'); await u.proc.waitFor((l) => l.event === 'listener-closed'); }
    assert.equal((await call(url, 'GET')).status, 502);
    assert.equal(attempts.length, 3);
    for (const u of ups) view.apply('remove', { pod: u.name, ip: '127.0.0.1', ports: [u.port] });
    const r = await call(url, 'GET');
    assert.equal(r.status, 503);
    assert.match(r.body, /503 Service Temporarily Unavailable/);
  });

  test('upstream slower than proxy-read-timeout: 504', async () => {
    const { url } = await setup(['a'], { ...INGRESS_NGINX_DEFAULTS, readTimeoutMs: 300 });
    const t0 = Date.now();
    const r = await call(url, 'GET', '/slow?ms=3000');
    assert.equal(r.status, 504);
    assert.match(r.body, /504 Gateway Time-out/);
    assert.ok(Date.now() - t0 < 2500, 'timed out near the read timeout, not after the upstream answered');
  });

  test('upstream keep-alive ignores Node\'s "Keep-Alive: timeout=5" hint and keeps idle connections 60 s, as nginx does', async () => {
    const { url } = await setup(['a']);
    const first = JSON.parse((await call(url, 'GET')).body);
    // Node answers with a 5 s hint; undici on its own would drop the connection after 5 − 2 = 3 s.
    await new Promise((r) => setTimeout(r, 3500));
    const second = JSON.parse((await call(url, 'GET')).body);
    assert.equal(second.conn, first.conn, 'the same upstream connection was reused after 3.5 s idle');
    assert.equal(INGRESS_NGINX_DEFAULTS.upstreamKeepaliveTimeoutMs, 60_000);
  });
});
