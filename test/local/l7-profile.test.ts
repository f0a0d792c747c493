import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { request } from 'undici';
import { isLabError } from '../../common/errors.js';
import { LaggedView } from '../../lab/targets/local/endpoints.js';
import { IngressProxy, type Attempt } from '../../lab/targets/local/ingress.js';
import { EnvoyGatewayProfile, ENVOY_GATEWAY_TUNING, l7Profile } from '../../lab/targets/local/l7-profile.js';
import { backoffMs, parseRouteRetry } from '../../lab/targets/local/route-retry.js';
import { freePort } from '../helpers/ports.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../lab/targets/local/cluster.js';
import { ROOT, startNode, type Proc } from '../helpers/proc.js';
import { FIXTURE_SERVER } from './helpers.js';

// The in-lab L7 proxy with the Envoy Gateway profile, against real fixture processes: the same
// failures that ingress-nginx answers with a retry or a 502 become a 503 from Envoy, never retried.

const running: Proc[] = [];
let proxy: IngressProxy | undefined;

async function upstream(name: string, env: Record<string, string> = {}): Promise<{ proc: Proc; port: number; name: string }> {
  const port = await freePort();
  const proc = startNode(FIXTURE_SERVER, { HOST: '127.0.0.1', PORT: String(port), ON_SIGTERM: 'close-listener', HOSTNAME: name, LOG_REQUESTS: '1', ...env });
  running.push(proc);
  await proc.waitFor((l) => l.event === 'listening');
  return { proc, port, name };
}

async function setup(names: string[], profile = new EnvoyGatewayProfile(), tuning = profile.tuning, env: Record<string, Record<string, string>> = {}) {
  const ups = await Promise.all(names.map((n) => upstream(n, env[n])));
  const view = new LaggedView('service', 0, () => undefined);
  for (const u of ups) view.apply('add', { pod: u.name, ip: '127.0.0.1', ports: [u.port] });
  const attempts: Attempt[] = [];
  proxy = new IngressProxy(() => ({ view, portIndex: 0 }), tuning, (a) => attempts.push(a), profile);
  await proxy.listen('127.0.0.1', await freePort());
  return { ups, view, attempts, url: proxy.url };
}

const call = async (url: string, method: 'GET' | 'POST', path = '/x', body = '{"amount":1}') => {
  const res = await request(`${url}${path}`, { method, body: method === 'POST' ? body : undefined });
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

  test('defaults: no retries, 10 s connect, 15 s route timeout, 1 h idle; envoy-gateway-retry reads the rendered route; unknown profile refused', () => {
    assert.equal(ENVOY_GATEWAY_TUNING.tries, 1);
    assert.equal(ENVOY_GATEWAY_TUNING.connectTimeoutMs, 10_000);
    assert.equal(ENVOY_GATEWAY_TUNING.readTimeoutMs, 15_000);
    assert.equal(ENVOY_GATEWAY_TUNING.upstreamKeepaliveTimeoutMs, 3_600_000);
    assert.equal(l7Profile('ingress-nginx'), undefined);
    assert.equal(l7Profile('envoy-gateway')?.name, 'envoy-gateway');
    const withRetry = l7Profile('envoy-gateway-retry') as EnvoyGatewayProfile;
    assert.equal(withRetry.name, 'envoy-gateway-retry');
    assert.deepEqual(withRetry.retry, { codes: [503], retries: 2, baseBackoffMs: 100, maxBackoffMs: 1000 });
    assert.equal(withRetry.tuning.tries, 3);
    assert.throws(() => l7Profile('envoy-gateway-retry', undefined, '/nonexistent/envoy-gateway-retry.yaml'), (e) => isLabError(e, 'LAB_MISSING_MANIFEST'));
    assert.throws(() => l7Profile('traefik'), (e) => isLabError(e, 'LAB_BAD_OPTION') && /"traefik" is unknown; valid: ingress-nginx, envoy-gateway, envoy-gateway-retry/.test(e.message));
  });
});

// With an HTTPRoute rule `retry`, Envoy Gateway v1.9.0 gives Envoy retry_on "connect-failure,refused-stream,
// unavailable,cancelled,retriable-status-codes", the route's codes (503 when none), num_retries = attempts,
// previous_hosts; Envoy never looks at the method (lab/targets/local/route-retry.ts names the sources).
describe('ingress proxy with the envoy-gateway profile and an HTTPRoute retry', () => {
  const retrying = (spec: object) => new EnvoyGatewayProfile(parseRouteRetry(spec, 'test'));
  const trace = (attempts: Attempt[]) => attempts.map((a) => [a.method, a.pod, a.sent, a.outcome]);

  /** Calls until one of them tried `pod` (least request picks at random; bounded), one at a time. */
  async function untilTried(url: string, attempts: Attempt[], pod: string, method: 'GET' | 'POST', body?: string) {
    const results: Array<Awaited<ReturnType<typeof call>>> = [];
    for (let i = 0; i < 40 && !attempts.some((a) => a.pod === pod && a.method === method); i++) results.push(await call(url, method, '/x', body));
    const at = attempts.findIndex((a) => a.pod === pod && a.method === method);
    assert.ok(at >= 0, `no ${method} tried ${pod} in 40 calls`);
    return { results, tries: attempts.slice(at) };
  }

  /**
   * One request's tries: `bad` until another endpoint was drawn, then `good`. previous_hosts re-draws a
   * tried host up to 5 times, so a retry lands on it again with probability 1/64 (two hosts), hence
   * enough attempts that all of them missing `good` is out of reach (1/64³).
   */
  function assertRetriedOnto(tries: Attempt[], bad: unknown[], good: unknown[]) {
    assert.ok(tries.length >= 2 && tries.length <= 4, JSON.stringify(trace(tries)));
    assert.deepEqual(trace(tries), [...tries.slice(0, -1).map(() => bad), good]);
  }

  test('a refused connect is retried on another endpoint and succeeds, for a GET and for a POST alike', async () => {
    const { view, attempts, url } = await setup(['b'], retrying({ attempts: 3, backoff: '10ms' }));
    view.apply('add', { pod: 'gone', ip: '127.0.0.1', ports: [await freePort()] }); // nothing listens there
    for (const method of ['GET', 'POST'] as const) {
      const { results, tries } = await untilTried(url, attempts, 'gone', method);
      assert.deepEqual(results.map((r) => r.status), results.map(() => 200));
      assertRetriedOnto(tries, [method, 'gone', false, 'ECONNREFUSED'], [method, 'b', true, 200]);
    }
  });

  test('a refused connect with a body over the 32 KiB retry buffer is not retried: 503', async () => {
    const { view, attempts, url } = await setup(['b'], retrying({ attempts: 2, backoff: '10ms' }));
    view.apply('add', { pod: 'gone', ip: '127.0.0.1', ports: [await freePort()] });
    const big = JSON.stringify({ pad: 'x'.repeat(40_000) });
    const { results, tries } = await untilTried(url, attempts, 'gone', 'POST', big);
    assert.equal(results.at(-1)!.status, 503);
    assert.match(results.at(-1)!.body, /^upstream connect error or disconnect\/reset before headers\. reset reason: connection failure$/);
    assert.deepEqual(trace(tries), [['POST', 'gone', false, 'ECONNREFUSED']]);
  });

  test('an upstream 503 is retried when 503 is in codes, on GET and on POST (the method is not looked at)', async () => {
    const { attempts, url } = await setup(['a', 'b'], retrying({ codes: [503], attempts: 3, backoff: '10ms' }), undefined, { a: { FAIL_STATUS: '503' } });
    for (const method of ['GET', 'POST'] as const) {
      const { results, tries } = await untilTried(url, attempts, 'a', method);
      assert.deepEqual(results.map((r) => r.status), results.map(() => 200));
      assertRetriedOnto(tries, [method, 'a', true, 503], [method, 'b', true, 200]);
    }
  });

  test('a status not in codes reaches the client untouched: codes [500] and an upstream 503', async () => {
    const { attempts, url } = await setup(['a'], retrying({ codes: [500], attempts: 2 }), undefined, { a: { FAIL_STATUS: '503' } });
    const r = await call(url, 'GET');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'failed a');
    assert.deepEqual(trace(attempts), [['GET', 'a', true, 503]]);
  });

  test('a POST whose body was sent and then reset is not retried (no `reset` in retry_on), nor is a GET', async () => {
    const { attempts, url } = await setup(['a', 'b'], retrying({ attempts: 2, backoff: '10ms' }));
    for (const method of ['POST', 'GET'] as const) {
      attempts.length = 0;
      const r = await call(url, method, '/reset');
      assert.equal(r.status, 503);
      assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination');
      assert.equal(attempts.length, 1, JSON.stringify(trace(attempts)));
      assert.equal(attempts[0]!.sent, true);
    }
  });

  test('a reset after the response headers cannot be retried: the client gets the headers, then a cut body', async () => {
    const { attempts, url } = await setup(['a', 'b'], retrying({ attempts: 2, backoff: '10ms' }));
    const res = await request(`${url}/reset-mid`);
    assert.equal(res.statusCode, 200);
    await assert.rejects(res.body.text());
    assert.equal(attempts.length, 1);
  });

  test('attempts bound the tries to 1 + attempts; the last upstream answer is returned as it came', async () => {
    const { attempts, url } = await setup(['a', 'b'], retrying({ codes: [503], attempts: 3, backoff: '1ms' }), undefined, { a: { FAIL_STATUS: '503' }, b: { FAIL_STATUS: '503' } });
    const r = await call(url, 'GET');
    assert.equal(r.status, 503);
    assert.match(r.body, /^failed [ab]$/);
    assert.notEqual(r.server, 'envoy');
    assert.equal(attempts.length, 4);
    assert.ok(attempts.every((a) => a.outcome === 503));
  });

  test('the route timeout covers every try and back-off: 504 once it has run out, tries left or not', async () => {
    class SlowBackoff extends EnvoyGatewayProfile { override backoffMs(): number { return 400; } }
    const p = new SlowBackoff(parseRouteRetry({ attempts: 5 }, 'test'));
    const { attempts, url } = await setup(['a'], p, { ...p.tuning, readTimeoutMs: 500 }, { a: { FAIL_STATUS: '503' } });
    const r = await call(url, 'GET');
    assert.equal(r.status, 504);
    assert.equal(r.body, 'upstream request timeout');
    assert.ok(attempts.length >= 1 && attempts.length <= 2, JSON.stringify(trace(attempts)));
  });

  test('every try refused (one endpoint: previous_hosts gives up after 5 draws and reuses it): the page says "retried"', async () => {
    const { view, attempts, url } = await setup(['a'], retrying({ attempts: 1, backoff: '1ms' }));
    view.apply('remove', { pod: 'a', ip: '127.0.0.1', ports: [0] });
    view.apply('add', { pod: 'gone', ip: '127.0.0.1', ports: [await freePort()] });
    const r = await call(url, 'GET');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection failure');
    assert.deepEqual(trace(attempts), [['GET', 'gone', false, 'ECONNREFUSED'], ['GET', 'gone', false, 'ECONNREFUSED']]);
  });
});

describe('HTTPRoute retry: Envoy back-off and the configuration refused', () => {
  test('a local cluster refuses a retry without the envoy-gateway profile before it allocates or starts anything', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lab-l7-'));
    try {
      await assert.rejects(LocalCluster.start({ manifestFile: join(ROOT, 'k8s/rendered/after.yaml'), runDir, l7: 'ingress-nginx', routeRetry: parseRouteRetry({}, 'test') }),
        (e) => isLabError(e, 'LAB_BAD_OPTION') && /needs the envoy-gateway L7 profile, not ingress-nginx/.test(e.message));
      assert.deepEqual(readdirSync(runDir), [], 'no pod directory, no events file');
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  test("back-off k is random() % interval_k: intervals base, 2×, 4×, … capped at 10 × base (Envoy's default max)", () => {
    const r = parseRouteRetry({ backoff: '100ms' }, 'test');
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((k) => backoffMs(r, k, () => 0.999)), [99, 199, 399, 799, 999, 999]);
    assert.deepEqual([1, 2, 3].map((k) => backoffMs(r, k, () => 0)), [0, 0, 0]);
    const d = parseRouteRetry({}, 'test');
    assert.deepEqual({ codes: d.codes, retries: d.retries, base: d.baseBackoffMs, max: d.maxBackoffMs }, { codes: [503], retries: 2, base: 25, max: 250 });
    assert.equal(parseRouteRetry({ backoff: '1m30s' }, 'test').baseBackoffMs, 90_000);
  });

  test('bad retry configuration is refused with LAB_BAD_ROUTE_RETRY naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ attempts: 0 }, /retry\.attempts 0 must be an integer ≥ 1/],
      [{ attempts: 1.5 }, /retry\.attempts 1\.5 must be an integer ≥ 1/],
      [{ codes: [503, 600] }, /retry\.codes has 600: a retriable code is an integer 400\.\.599/],
      [{ codes: ['503'] }, /retry\.codes has "503"/],
      [{ codes: 503 }, /retry\.codes must be a list/],
      [{ backoff: '1.5s' }, /backoff "1\.5s" is not a Gateway API Duration/],
      [{ backoff: '0ms' }, /backoff "0ms" is zero/],
      [{ attempts: 2, perTryTimeout: '1s' }, /unknown field perTryTimeout/],
      ['3', /retry must be an object/],
    ];
    for (const [spec, msg] of cases) {
      assert.throws(() => parseRouteRetry(spec, 'HTTPRoute/service rules[0]'), (e) => isLabError(e, 'LAB_BAD_ROUTE_RETRY') && /^LAB_BAD_ROUTE_RETRY: .*HTTPRoute\/service rules\[0\]: /.test(e.message) && msg.test(e.message), JSON.stringify(spec));
    }
    assert.throws(() => l7Profile('ingress-nginx', parseRouteRetry({}, 'test')), (e) => isLabError(e, 'LAB_BAD_OPTION') && /needs the envoy-gateway L7 profile/.test(e.message));
  });
});
