import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArmRun } from '../../lab/experiments/reconnect/arm.js';
import type { ConnEvent, Req } from '../../lab/experiments/reconnect/client.js';
import { buckets } from '../../lab/experiments/reconnect/buckets.js';
import { armStats } from '../../lab/experiments/reconnect/stats.js';

// The table row from a known event stream: 10 clients of pod a, which the rollout terminates at
// t0+1000 and whose clients all reconnect to c within 250 ms, plus one client of b (not
// terminating) whose connection its own timeout dropped.

const T0 = 1_000_000;
function run(): ArmRun {
  const conns: ConnEvent[] = [];
  for (let i = 0; i < 10; i++) conns.push({ t: T0 - 5000, dialT: T0 - 5010, client: i, kind: 'connect', pod: 'a', reconnect: false });
  conns.push({ t: T0 - 5000, dialT: T0 - 5010, client: 10, kind: 'connect', pod: 'b', reconnect: false });
  for (let i = 0; i < 10; i++) {
    conns.push({ t: T0 + 1000, dialT: 0, client: i, kind: 'close', pod: 'a', reconnect: true });
    conns.push({ t: T0 + 1050 + i * 20, dialT: T0 + 1000, client: i, kind: 'connect', pod: 'c', tlsMs: 30, reconnect: true });
  }
  conns.push({ t: T0 + 3000, dialT: 0, client: 10, kind: 'close', pod: 'b', reconnect: true });
  conns.push({ t: T0 + 3100, dialT: T0 + 3000, client: 10, kind: 'connect', pod: 'b', reconnect: true });
  const reqs: Req[] = [];
  for (let k = 0; k < 100; k++) reqs.push({ t_sched: T0 - 10_000 + k * 50, t_end: 0, ms: 10, class: 'ok', pod: 'a' });
  reqs.push({ t_sched: T0 + 1010, t_end: 0, ms: 400, class: 'ok', pod: 'c' });
  reqs.push({ t_sched: T0 + 1020, t_end: 0, ms: 5000, class: 'timeout', pod: 'c' });
  return {
    name: 'synchronized', closeJitterMs: 0, establishment: { clients: 11, connected: 11, ms: 100, perSecond: 110 },
    baseline: { start: T0 - 10_000, end: T0 - 5000 }, rollout: { start: T0, end: T0 + 2000 }, settled: true,
    conns, reqs, clientDelays: [], samples: [], podsCreatedAt: { a: T0 - 60_000, b: T0 - 60_000, c: T0 + 10 },
    events: [{ t: T0 + 900, kind: 'pod-terminating', deployment: 'service', pod: 'a' }], notes: [],
  };
}

test('drain episodes, peaks and the reconnect window come from the events', () => {
  const s = armStats(run(), 11);
  assert.equal(s.serverCloses, 10);
  assert.equal(s.otherCloses, 1);
  assert.deepEqual(s.episodes, [{ pod: 'a', closes: 10, startMs: 1000, reestablishMs: 230, notReconnected: 0 }]);
  assert.equal(s.timeToReestablishAllMs, 230);
  assert.equal(s.peakAttemptsPerS, 100); // 10 dials started in one 100 ms bucket
  assert.equal(s.peakReconnectsPerS, 50); // completions spread 20 ms apart: at most 5 per bucket
  assert.equal(s.peakTlsHandshakesPerS, 50);
  assert.equal(s.p99SteadyMs, 10);
  assert.equal(s.p99ReconnectMs, 400); // the timed-out request is an error, not a latency
  assert.equal(s.rolloutErrorCount, 1);
  assert.equal(s.rolloutErrors.timeout, 1);
  assert.deepEqual(s.receivingPods.map((p) => [p.pod, p.cold, p.reconnectsReceived]), [['c', true, 10]]);
});

test('the connected count per bucket replays every connection event', () => {
  const b = buckets(run(), 0, 4000);
  assert.equal(b[0]!.connected, 11);
  assert.equal(b[10]!.connected, 1 + 3); // t 1000..1100: 10 closed, clients 0..2 back (1050, 1070, 1090)
  assert.equal(b[13]!.connected, 11);
  assert.equal(b[30]!.connected, 10); // t 3000..3100: b's client closed, back at 3100
  assert.equal(b[31]!.connected, 11);
});
