// check's keep-alive probe on the two example apps (plain node:http, as users write them): the naive
// one runs on Node's pre-v26 default (keepAliveTimeout 5 s) and is named, with both numbers and the fix;
// the fixed one sets 65 s and stays quiet. Real processes, real sockets, the real idle close.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { keepAliveHint, keepAliveNote, keepAliveProbeNote, probeKeepAlive, KEEPALIVE_PROBE_BOUND_MS } from '../../lab/tools/check/keepalive-probe.js';
import { freePort } from '../helpers/ports.js';
import { startNode } from '../helpers/proc.js';

async function startExample(which: 'naive' | 'fixed') {
  const port = await freePort();
  const proc = startNode(`examples/${which}/server.js`, { PORT: String(port), HOST: '127.0.0.1', STARTUP_MS: '0' });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => { const s = connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });
    if (ok) break;
    if (Date.now() > deadline || proc.child.exitCode !== null) { proc.child.kill('SIGKILL'); throw new Error(`examples/${which} did not listen: ${proc.stderr()}`); }
    await sleep(100);
  }
  return { port, stop: async () => { proc.child.kill('SIGKILL'); await proc.exited; } };
}

const ROUTES = [{ method: 'GET', path: '/orders' }];

test('naive example (Node\'s old 5 s default): the probe sees the close at about 5 s and the note names 5 s, 60 s and the fix', async () => {
  if (Number(process.versions.node.split('.')[0]) >= 26) return; // Node 26 raised the default to 65 s
  const app = await startExample('naive');
  try {
    // both probes at once, each on a connection of its own: the app closes each idle connection on its own
    // timer, so neither waits out the other's ~6 s (one after the other, the test took twice as long)
    const [p, { note, closeMs }] = await Promise.all([
      probeKeepAlive({ host: '127.0.0.1', port: app.port, path: '/orders', boundMs: KEEPALIVE_PROBE_BOUND_MS }),
      keepAliveProbeNote({ host: '127.0.0.1', port: app.port }, ROUTES),
    ]);
    assert.equal(p.status, 200);
    assert.equal(p.hintS, 5);
    assert.ok(p.closedAfterMs !== undefined && p.closedAfterMs >= 4000 && p.closedAfterMs < 9000, `closed after ${p.closedAfterMs} ms`);
    assert.ok(closeMs !== undefined && Math.abs(closeMs - p.closedAfterMs!) < 1000, `the measured close (${closeMs} ms) is what check classifies races by`);
    assert.match(note ?? '', /keep-alive timeouts out of order: the app closed an idle keep-alive connection \d\.\d s after its response \(announced Keep-Alive: timeout=5\), but ingress-nginx keeps an idle upstream connection for reuse 60 s/);
    assert.match(note ?? '', /Fix: raise the app's keep-alive timeout above 60 s/);
  } finally {
    await app.stop();
  }
});

test('fixed example (65 s): announces timeout=65, still open after the bound, no note', async () => {
  const app = await startExample('fixed');
  try {
    const p = await probeKeepAlive({ host: '127.0.0.1', port: app.port, path: '/orders', boundMs: 3000 });
    assert.equal(p.hintS, 65);
    assert.equal(p.closedAfterMs, undefined);
    assert.equal(keepAliveNote(p, { id: 'ingress-nginx', seconds: 60 }), undefined);
    // the same app behind a proxy that keeps connections longer (GFE, 600 s) is named
    assert.match(keepAliveNote(p, { id: 'gke-gfe', seconds: 600 }) ?? '', /announces Keep-Alive: timeout=65 .* gke-gfe keeps an idle upstream connection for reuse 600 s/);
  } finally {
    await app.stop();
  }
});

test('no hint and no close within the bound: says it cannot tell, never passes silently', () => {
  const note = keepAliveNote({ hintS: undefined, closedAfterMs: undefined, boundMs: 10_000, connectionClose: false, status: 200 }, { id: 'ingress-nginx', seconds: 60 });
  assert.match(note ?? '', /cannot tell whether it outlives ingress-nginx's 60 s/);
});

test('Keep-Alive header values', () => {
  assert.equal(keepAliveHint('timeout=5'), 5);
  assert.equal(keepAliveHint('timeout=72, max=100'), 72);
  assert.equal(keepAliveHint('max=100, timeout=65'), 65);
  assert.equal(keepAliveHint('max=100'), undefined);
  assert.equal(keepAliveHint(undefined), undefined);
});

test('a server that never answers: LAB_TIMEOUT within the bound, not a hang', async () => {
  const { createServer } = await import('node:net');
  const silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const port = (silent.address() as { port: number }).port;
  try {
    await assert.rejects(probeKeepAlive({ host: '127.0.0.1', port, boundMs: 1000, responseMs: 1000 }), /LAB_TIMEOUT/);
  } finally {
    silent.close();
  }
});

test('check counts the keep-alive races apart: by the app\'s measured close, over the run and within the deploy window; the verdict still counts them (the client lost those requests)', async () => {
  const { keepAliveRaces } = await import('../../lab/targets/local/keepalive-race.js');
  const { verdictOf } = await import('../../lab/tools/check/report.js');
  const { localCoverage } = await import('../../lab/engine/coverage.js');
  const tryAt = (t: number, idleMs: number, last: boolean, method = 'POST') => ({ t, method, path: '/orders', pod: 'p', sent: true, outcome: 'UND_ERR_SOCKET', upstream: { reused: true, idleMs }, last });
  const tries = [
    tryAt(100, 6010, true), // steady state, before the window: a race the client saw
    tryAt(1500, 5900, false, 'GET'), // in the window: a race the proxy retried
    tryAt(1600, 5800, true), // in the window: a race answered 502
    tryAt(1700, 300, true), // in the window, idle 0.3 s: the rollout's (a drained pod's connection)
    { t: 1800, method: 'GET', path: '/orders', pod: 'p', sent: false, outcome: 'ECONNREFUSED', last: false }, // never sent: not a failed try on a connection
  ];
  const k = keepAliveRaces(tries, 6000, { start: 1000, end: 2000 });
  assert.deepEqual(k.run, { failedTries: 4, races: 3, retried: 1, answered: 2 });
  assert.deepEqual(k.window, { failedTries: 3, races: 2, retried: 1, answered: 1 });
  // no close seen (65 s app): nothing is a race, whatever the idle ages
  assert.deepEqual(keepAliveRaces(tries, undefined, { start: 1000, end: 2000 }).run, { failedTries: 4, races: 0, retried: 0, answered: 0 });
  const windowCounts = { ok: 10, http_502: 2, http_503: 0, http_5xx_other: 0, reset: 0, refused: 0, timeout: 0, other: 0 };
  const s = { windowCounts, coverage: localCoverage({ recorded: 12, sent: 12, dropped: 0, planned: 12, rate: 10 }), params: { keepAliveRaces: k } } as never;
  assert.equal(verdictOf(s, 0).line, 'VERDICT: FAIL: 2 request(s) failed during the rollouts (1 of them keep-alive races, 1 the rollout\'s) (--max-failed 0)');
  assert.equal(verdictOf(s, 2).line, 'VERDICT: PASS: 2 request(s) failed during the rollouts (1 of them keep-alive races, 1 the rollout\'s) (--max-failed 2)');
});
