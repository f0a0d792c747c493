import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { request } from 'undici';
import { isLabError } from '../../common/errors.js';
import { LaggedView } from '../../lab/targets/local/endpoints.js';
import { IngressProxy, type Attempt } from '../../lab/targets/local/ingress.js';
import { EnvoyGatewayProfile, ENVOY_GATEWAY_TUNING, l7Profile } from '../../lab/targets/local/l7-profile.js';
import { freePort } from '../helpers/ports.js';
import { startNode, type Proc } from '../helpers/proc.js';
import { FIXTURE_SERVER } from './helpers.js';

// The in-lab L7 proxy with the Envoy Gateway profile, against real fixture processes: the same
// failures that ingress-nginx answers with a retry or a 502 become a 503 from Envoy, never retried.

const running: Proc[] = [];
let proxy: IngressProxy | undefined;

async function upstream(name: string): Promise<{ proc: Proc; port: number; name: string }> {
  const port = await freePort();
  const proc = startNode(FIXTURE_SERVER, { HOST: '127.0.0.1', PORT: String(port), ON_SIGTERM: 'close-listener', HOSTNAME: name, LOG_REQUESTS: '1' });
  running.push(proc);
  await proc.waitFor((l) => l.event === 'listening');
  return { proc, port, name };
}

async function setup(names: string[], profile = new EnvoyGatewayProfile(), tuning = profile.tuning) {
  const ups = await Promise.all(names.map((n) => upstream(n)));
  const view = new LaggedView('service', 0, () => undefined);
  for (const u of ups) view.apply('add', { pod: u.name, ip: '127.0.0.1', ports: [u.port] });
  const attempts: Attempt[] = [];
  proxy = new IngressProxy(() => ({ view, portIndex: 0 }), tuning, (a) => attempts.push(a), profile);
  await proxy.listen('127.0.0.1', await freePort());
  return { ups, view, attempts, url: proxy.url };
}

const call = async (url: string, method: 'GET' | 'POST', path = '/x') => {
  const res = await request(`${url}${path}`, { method, body: method === 'POST' ? '{"amount":1}' : undefined });
  return { status: res.statusCode, body: await res.body.text(), server: res.headers.server };
};

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  for (const p of running.splice(0)) { p.child.kill('SIGKILL'); await p.exited; }
});
after(() => assert.equal(running.length, 0));

describe('ingress proxy with the envoy-gateway profile', () => {
  test('a refused connect is not retried: 503 "upstream connect error … connection failure"', async () => {
    const { ups, attempts, url } = await setup(['a']);
    ups[0]!.proc.child.kill('SIGTERM');
    await ups[0]!.proc.waitFor((l) => l.event === 'listener-closed');
    const r = await call(url, 'GET');
    assert.equal(r.status, 503);
    assert.equal(r.server, 'envoy');
    assert.match(r.body, /^upstream connect error or disconnect\/reset before headers\. reset reason: connection failure$/);
    assert.deepEqual(attempts.map((a) => [a.pod, a.sent, a.outcome]), [['a', false, 'ECONNREFUSED']]);
  });

  test('a GET on a pooled connection to a closed upstream is not retried either (ingress-nginx would): 503', async () => {
    const { ups, attempts, url, view } = await setup(['a', 'b']);
    // only a in the view, so the pooled connection is to a
    view.apply('remove', { pod: 'b', ip: '127.0.0.1', ports: [ups[1]!.port] });
    assert.equal((await call(url, 'GET')).status, 200);
    view.apply('add', { pod: 'b', ip: '127.0.0.1', ports: [ups[1]!.port] });
    ups[0]!.proc.child.kill('SIGTERM');
    await ups[0]!.proc.waitFor((l) => l.event === 'listener-closed');
    attempts.length = 0;
    // Least-request picks a or b; keep asking until a try lands on a (bounded).
    let r = await call(url, 'GET');
    for (let i = 0; i < 40 && !attempts.some((a) => a.pod === 'a'); i++) r = await call(url, 'GET');
    const onA = attempts.filter((a) => a.pod === 'a');
    assert.ok(onA.length >= 1, 'some request went to the closed upstream');
    assert.equal(attempts.filter((a) => a.pod === 'b').length, attempts.length - onA.length);
    // the request that tried a had exactly one try: no second upstream
    assert.equal(r.status === 200 ? 'b' : 'a', attempts.at(-1)!.pod);
    if (attempts.at(-1)!.pod === 'a') assert.equal(r.status, 503);
  });

  test('no endpoint at all: 503 "no healthy upstream"', async () => {
    const { ups, url, view } = await setup(['a']);
    view.apply('remove', { pod: 'a', ip: '127.0.0.1', ports: [ups[0]!.port] });
    const r = await call(url, 'POST');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'no healthy upstream');
  });

  test('upstream slower than the route timeout: 504 "upstream request timeout"', async () => {
    const p = new EnvoyGatewayProfile();
    const { url } = await setup(['a'], p, { ...ENVOY_GATEWAY_TUNING, readTimeoutMs: 300 });
    const r = await call(url, 'GET', '/slow?ms=3000');
    assert.equal(r.status, 504);
    assert.equal(r.body, 'upstream request timeout');
  });

  test('least request (P2C): the busy endpoint is chosen only when both draws are it, about 1 call in 4', async () => {
    const { ups } = await setup(['a', 'b']);
    const url = proxy!.url;
    // The slow request holds one endpoint for far longer than the calls take, even on a loaded
    // machine; it is aborted once they are done. Its pod is known from the upstream's own log line.
    const aborter = new AbortController();
    const slow = request(`${url}/slow?ms=10000`, { signal: aborter.signal }).catch(() => undefined);
    const seen = await Promise.race(ups.map((u) => u.proc.waitFor((l) => l.event === 'request' && l.path === '/slow', 5_000).then(() => u.name)));
    const idle = seen === 'a' ? 'b' : 'a';
    const results: string[] = [];
    for (let i = 0; i < 100; i++) results.push(JSON.parse((await call(url, 'GET')).body).pod as string);
    aborter.abort();
    await slow;
    // Calls run one at a time, so the idle pod has 0 active requests at each pick and the busy one 1:
    // Binomial(100, 1/4) for the busy pod. Round robin would give 50; above 40 has p < 0.001.
    const onBusy = results.filter((p) => p !== idle).length;
    assert.ok(onBusy <= 40, `${onBusy} of 100 calls went to the busy pod ${seen}`);
  });

  test('defaults: no retries, 10 s connect, 15 s route timeout, 1 h idle; unknown profile refused', () => {
    assert.equal(ENVOY_GATEWAY_TUNING.tries, 1);
    assert.equal(ENVOY_GATEWAY_TUNING.connectTimeoutMs, 10_000);
    assert.equal(ENVOY_GATEWAY_TUNING.readTimeoutMs, 15_000);
    assert.equal(ENVOY_GATEWAY_TUNING.upstreamKeepaliveTimeoutMs, 3_600_000);
    assert.equal(l7Profile('ingress-nginx'), undefined);
    assert.equal(l7Profile('envoy-gateway')?.name, 'envoy-gateway');
    assert.throws(() => l7Profile('traefik'), (e) => isLabError(e, 'LAB_BAD_OPTION') && /"traefik" is unknown; valid: ingress-nginx, envoy-gateway/.test(e.message));
  });
});
