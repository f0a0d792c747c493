// The keep-alive race on real processes: the examples' plain node:http apps (naive: Node's pre-v26 default,
// keepAliveTimeout 5 s, which Node enforces with a 1 s buffer, so it closes an idle connection at about 6 s; fixed: 65 s) behind the lab's ingress
// proxy. The race needs a window in which the proxy still writes on a connection the app has closed; on
// loopback the app's FIN arrives in microseconds, so the window here is the proxy's own event-loop lag,
// made real by keeping the proxy's thread busy while the app's close falls due: the request it
// takes is then written on the closed connection and meets the app's reset.
import assert from 'node:assert/strict';
import { subscribe } from 'node:diagnostics_channel';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, test } from 'node:test';
import { request } from 'undici';
import { LaggedView } from '../../lab/targets/local/endpoints.js';
import { IngressProxy, type Attempt } from '../../lab/targets/local/ingress.js';
import { countRaces, isKeepAliveRace, RACE_TOLERANCE_MS } from '../../lab/targets/local/keepalive-race.js';
import { probeKeepAlive, type KeepAliveProbe } from '../../lab/tools/check/keepalive-probe.js';
import { freePort } from '../helpers/ports.js';
import { startNode, type Proc } from '../helpers/proc.js';

const OLD_NODE_DEFAULT = Number(process.versions.node.split('.')[0]) < 26; // Node 26 raised the default to 65 s
const running: Proc[] = [];
let proxy: IngressProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await stopAll(running);
});

async function stopAll(procs: Proc[]) {
  for (const p of procs.splice(0)) { p.child.kill('SIGKILL'); await p.exited; }
}

async function example(which: 'naive' | 'fixed', name: string, into: Proc[] = running) {
  const port = await freePort();
  const proc = startNode(`examples/${which}/server.js`, { PORT: String(port), HOST: '127.0.0.1', STARTUP_MS: '0' });
  into.push(proc);
  for (const end = Date.now() + 15_000; ;) {
    const ok = await new Promise<boolean>((r) => { const s = connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });
    if (ok) break;
    if (Date.now() > end || proc.child.exitCode !== null) throw new Error(`examples/${which} did not listen: ${proc.stderr()}`);
    await sleep(50);
  }
  return { pod: name, ip: '127.0.0.1', ports: [port], proc };
}

// Each app's idle close, probed once for the whole file, both apps at once, on instances of their own: the
// close is a property of the app's code (Node's keepAliveTimeout), the same on every instance, as the
// two-replica test already relies on for its second replica. Probing in each test, one after the other,
// cost about 6 s per test of waiting for the same close. No thread hold runs meanwhile, so the measured
// close is not delayed by one.
const probed: Proc[] = [];
let naiveProbe: KeepAliveProbe | undefined;
let fixedProbe: KeepAliveProbe;
before(async () => {
  const probeOf = async (which: 'naive' | 'fixed', boundMs: number) => {
    const app = await example(which, `probe-${which}`, probed);
    return probeKeepAlive({ host: '127.0.0.1', port: app.ports[0]!, path: '/orders', boundMs });
  };
  // the fixed app's bound outlasts the idle age (6.4 s) at which its test sends the held request
  [naiveProbe, fixedProbe] = await Promise.all([OLD_NODE_DEFAULT ? probeOf('naive', 10_000) : undefined, probeOf('fixed', 7000)]);
  await stopAll(probed);
});
after(() => stopAll(probed));

async function behindProxy(apps: Array<{ pod: string; ip: string; ports: number[] }>) {
  const view = new LaggedView('service', 0, () => undefined);
  for (const a of apps) view.apply('add', a);
  const attempts: Attempt[] = [];
  proxy = new IngressProxy(() => ({ view, portIndex: 0 }), undefined, (a) => attempts.push(a));
  await proxy.listen('127.0.0.1', await freePort());
  return { attempts, url: proxy.url };
}

/** Blocks this thread (the proxy's) until `until` (performance.now() ms): the proxy's event-loop lag, made real. */
function holdThread(until: number): void {
  while (performance.now() < until) { /* busy: no I/O is read while it runs */ }
}

// The hold starts as the proxy's HTTP server takes the request (Node publishes `http.server.request.start`
// just before its 'request' event, in the same turn): the proxy then forwards it after the hold, in that
// same turn, before it reads what arrived on the upstream connection meanwhile (the app's FIN).
let hold: { until: number; first?: () => void } | undefined;
subscribe('http.server.request.start', () => {
  const h = hold;
  hold = undefined;
  if (!h) return;
  h.first?.();
  holdThread(h.until);
});

/** `method /orders` through the proxy at `sendAt` (performance.now() ms), the proxy's thread held until `holdUntil`. */
async function requestHeld(url: string, method: 'GET' | 'POST', sendAt: number, holdUntil: number, first?: () => void) {
  await sleep(Math.max(0, sendAt - performance.now()));
  hold = { until: holdUntil, first };
  const res = await request(`${url}/orders`, { method, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
  await res.body.text();
  return res.statusCode;
}


test('naive app (5 s keep-alive, closes at about 6 s): a POST written on the connection as the app closes it is a keep-alive race the client sees as 502', { timeout: 60_000 }, async (t) => {
  if (!OLD_NODE_DEFAULT) { t.skip('Node ≥ 26 keeps idle connections 65 s by default'); return; }
  const app = await example('naive', 'a');
  const probe = naiveProbe!;
  assert.ok(probe.closedAfterMs !== undefined && probe.closedAfterMs > 4000 && probe.closedAfterMs < 8000, `closed after ${probe.closedAfterMs} ms`);
  const closeMs = probe.closedAfterMs;
  const { attempts, url } = await behindProxy([app]);
  assert.equal((await request(`${url}/orders`)).statusCode, 200); // opens the pooled upstream connection
  const idleSince = performance.now();
  assert.equal(await requestHeld(url, 'POST', idleSince + closeMs - 300, idleSince + closeMs + 400), 502);
  const failed = attempts.filter((a) => typeof a.outcome === 'string');
  assert.equal(failed.length, 1, JSON.stringify(attempts));
  const a = failed[0]!;
  assert.equal(a.upstream?.reused, true, JSON.stringify(a));
  assert.ok(Math.abs(a.upstream!.idleMs - closeMs) <= RACE_TOLERANCE_MS, `idle ${a.upstream!.idleMs} ms vs close ${closeMs} ms`);
  assert.equal(a.last, true, 'a POST is never retried: the client got this failure');
  assert.ok(isKeepAliveRace(a, closeMs));
  assert.deepEqual(countRaces(attempts, closeMs), { failedTries: 1, races: 1, retried: 0, answered: 1 });
});

test('naive app, two replicas: the GET that meets the closed connection is retried on the other one (a race the client never sees)', { timeout: 60_000 }, async (t) => {
  if (!OLD_NODE_DEFAULT) { t.skip('Node ≥ 26 keeps idle connections 65 s by default'); return; }
  const [a, b] = await Promise.all([example('naive', 'a'), example('naive', 'b')]);
  const closeMs = naiveProbe!.closedAfterMs!;
  const { attempts, url } = await behindProxy([a, b]);
  assert.equal((await request(`${url}/orders`)).statusCode, 200); // round robin: one replica
  const idleSince = performance.now();
  const first = attempts[0]!.pod;
  // the other replica's connection, 3 s later: still open when the first one's close falls due, so the retry lands there
  await sleep(3000);
  assert.equal((await request(`${url}/orders`)).statusCode, 200);
  assert.notEqual(attempts[1]!.pod, first);
  assert.equal(await requestHeld(url, 'GET', idleSince + closeMs - 300, idleSince + closeMs + 400), 200);
  const race = attempts.filter((x) => isKeepAliveRace(x, closeMs));
  assert.equal(race.length, 1, JSON.stringify(attempts));
  assert.equal(race[0]!.pod, first);
  assert.equal(race[0]!.last, false);
  assert.equal(attempts.at(-1)!.pod, attempts[1]!.pod);
  assert.equal(attempts.at(-1)!.outcome, 200);
  assert.deepEqual(countRaces(attempts, closeMs), { failedTries: 1, races: 1, retried: 1, answered: 0 });
});

test('fixed app (65 s): the same request at the same idle age succeeds on the reused connection; no close was seen, so nothing is a race', { timeout: 60_000 }, async () => {
  const app = await example('fixed', 'a');
  const probe = fixedProbe;
  assert.equal(probe.closedAfterMs, undefined);
  const { attempts, url } = await behindProxy([app]);
  assert.equal((await request(`${url}/orders`)).statusCode, 200);
  const idleSince = performance.now();
  assert.equal(await requestHeld(url, 'POST', idleSince + 5700, idleSince + 6400), 201);
  const last = attempts.at(-1)!;
  assert.equal(last.upstream?.reused, true, JSON.stringify(last));
  assert.ok(last.upstream!.idleMs >= 5000, `idle ${last.upstream!.idleMs} ms`);
  assert.deepEqual(countRaces(attempts, probe.closedAfterMs), { failedTries: 0, races: 0, retried: 0, answered: 0 });
});

test('a failure on a reused connection far from the app\'s close (the pod killed 1 s after its last response) is the rollout\'s, not a race', { timeout: 60_000 }, async (t) => {
  if (!OLD_NODE_DEFAULT) { t.skip('Node ≥ 26 keeps idle connections 65 s by default'); return; }
  const app = await example('naive', 'a');
  const closeMs = naiveProbe!.closedAfterMs!; // the app's measured close: far from the 1 s idle age of the kill below
  const { attempts, url } = await behindProxy([app]);
  assert.equal((await request(`${url}/orders`)).statusCode, 200);
  const idleSince = performance.now();
  // killed as the proxy takes the POST: its sockets close while the proxy's thread is held, and the POST goes out on a dead connection
  const status = await requestHeld(url, 'POST', idleSince + 1000, idleSince + 1300, () => app.proc.child.kill('SIGKILL'));
  assert.equal(status, 502);
  const failed = attempts.filter((a) => typeof a.outcome === 'string');
  assert.equal(failed.length, 1, JSON.stringify(attempts));
  assert.equal(failed[0]!.upstream?.reused, true);
  assert.ok(failed[0]!.upstream!.idleMs < 2000, `idle ${failed[0]!.upstream!.idleMs} ms`);
  assert.deepEqual(countRaces(attempts, closeMs), { failedTries: 1, races: 0, retried: 0, answered: 0 });
});
