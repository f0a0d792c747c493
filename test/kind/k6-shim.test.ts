import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLASSES, emptyCounts } from '../../loadtest/classes.js';
import { k6Counts, parseK6Summary } from '../../lab/targets/kind/convert.js';
import { between } from '../../lab/targets/kind/markers.js';
import { parseRequestLines } from '../../lab/targets/kind/requests.js';
import { parseRoute } from '../../lab/tools/check/routes.js';
import { checkScenario } from '../../lab/tools/check/phases.js';
import { ROOT } from '../helpers/proc.js';
import { runK6Shim } from './k6-shim/spawn.js';

// The seam between loadtest/k6/script.js and the lab's parsers, with the real script: it runs
// under the k6 shim (test/kind/k6-shim) against a real HTTP server on 127.0.0.1, and its console
// output goes through the same parsers the cluster mode uses.

interface Seen { method: string; url: string; body: string; type: string | undefined }

/** A real HTTP server on 127.0.0.1 that records what reached it; one per test, so the tests run side by side. */
async function startServer(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => { body += b.toString(); });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, type: req.headers['content-type'] });
      if (req.url === '/reset') { req.socket.destroy(); return; }
      res.writeHead(req.url === '/fail' ? 503 : 200, { 'content-type': 'text/plain', 'x-pod': 'pod-a' });
      res.end(req.method === 'HEAD' ? undefined : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`,
    seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
const servers: Array<Awaited<ReturnType<typeof startServer>>> = [];
after(async () => { await Promise.all(servers.map((s) => s.close())); });
const server = async () => { const s = await startServer(); servers.push(s); return s; };

/** 1 s per phase: rate × 4 s iterations. */
const SHORT = { LAB_WARMUP_SECONDS: '1', LAB_BASELINE_SECONDS: '1', LAB_DEPLOY_SECONDS: '1', LAB_COOLDOWN_SECONDS: '1' };

// every shape --route accepts (lab/tools/check/routes.ts): methods, query strings, bodies, weights
const ROUTES = ['GET:/orders', 'GET:/orders?status=open&limit=5', 'post:/orders@examples/order.json*3', 'PUT:/orders/1@examples/order.json*0.5',
  'DELETE:/orders/1', 'PATCH:/orders/1*2', 'HEAD:/health', 'OPTIONS:/orders'];

// the two runs mostly wait on the shim's 4 s schedule: side by side, each against its own server
describe('the k6 script, run under the k6 shim, through the lab parsers', { concurrency: 2 }, () => {
  it('every --route shape: one parsed record per request, as many as k6 counted and the server saw', async () => {
    const { url, seen } = await server();
    const routes = ROUTES.map((r) => parseRoute(r, ROOT));
    const r = await runK6Shim(checkScenario(routes, 40, 1), { ...SHORT, LAB_PATHS: 'l4', LAB_L4_URL: url, LAB_RUN_ID: 'shim' });
    assert.equal(r.code, 0, r.stderr);
    const parsed = parseRequestLines(r.log);
    const counted = k6Counts(parseK6Summary(between(r.log, 'LAB_K6_SUMMARY_BEGIN', 'LAB_K6_SUMMARY_END')));
    assert.equal(parsed.malformed, 0, String(parsed.firstMalformed));
    assert.equal(counted.requests, 160, 'rate 40 × 4 s');
    assert.equal(parsed.records.length, counted.requests);
    assert.equal(seen.length, counted.requests);
    assert.deepEqual(new Set(parsed.records.map((x) => x.route)), new Set(routes.map((x) => x.name)), 'every route name, spaces and query strings included');
    const body = readFileSync(join(ROOT, 'examples/order.json'), 'utf8');
    for (const route of routes) {
      const mine = seen.filter((s) => s.method === route.method && s.url === route.path);
      assert.equal(parsed.records.filter((x) => x.route === route.name).length, mine.length, route.name);
      for (const s of mine) {
        assert.equal(s.body, route.body ?? '', `${route.name}: the route's own body`);
        if (route.body) assert.equal(s.type, 'application/json');
      }
    }
    assert.ok(seen.some((s) => s.body === body));
    assert.ok(parsed.records.every((x) => x.class === 'ok' && x.status === 200 && x.path === 'l4' && x.t_end >= x.t_sched));
    // the connection tags: the pod that answered, idempotency by Go's rule, and keep-alive reuse
    // (a VU's first request dials, its next ones reuse: both kinds appear)
    assert.ok(parsed.records.every((x) => x.pod === 'pod-a' && x.respByte === true));
    for (const route of routes) {
      const idem = ['GET', 'HEAD', 'OPTIONS'].includes(route.method);
      assert.ok(parsed.records.filter((x) => x.route === route.name).every((x) => x.idempotent === idem), route.name);
    }
    const reused = parsed.records.filter((x) => x.reused).length;
    assert.ok(reused > 0 && reused < parsed.records.length, `${reused} of ${parsed.records.length} reused`);
  });

  it('failed requests: the records carry the classes k6 counted, and k6 exits 99 (its deploy-phase threshold)', async () => {
    const { url, seen } = await server();
    const routes = ['GET:/ok*2', 'GET:/fail', 'GET:/reset'].map((x) => parseRoute(x, ROOT));
    const r = await runK6Shim(checkScenario(routes, 30, 1), { ...SHORT, LAB_PATHS: 'l4', LAB_L4_URL: url });
    assert.equal(r.code, 99, r.stderr);
    const parsed = parseRequestLines(r.log);
    const counted = k6Counts(parseK6Summary(between(r.log, 'LAB_K6_SUMMARY_BEGIN', 'LAB_K6_SUMMARY_END')));
    assert.equal(parsed.malformed, 0);
    assert.equal(parsed.records.length, counted.requests);
    const byClass = emptyCounts();
    for (const x of parsed.records) byClass[x.class]++;
    assert.deepEqual(byClass, counted.total);
    assert.ok(byClass.http_503 > 0 && byClass.reset > 0 && byClass.ok > 0, JSON.stringify(byClass));
    assert.ok(parsed.records.filter((x) => x.class === 'reset').every((x) => x.status === 0 && x.errorCode === 'k6:1220'));
    assert.equal(CLASSES.reduce((a, c) => a + byClass[c], 0), 120);
  });
});
