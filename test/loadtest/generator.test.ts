import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadGenerator } from '../../loadtest/generator.js';
import { ArrivalSchedule } from '../../loadtest/arrivals.js';
import { latencyMs } from '../../loadtest/records.js';
import { sleep, waitUntil } from '../helpers/wait.js';
import { oneRouteScenario, startFixture } from './fixture-server.js';

const nowMs = () => performance.timeOrigin + performance.now(); // the generator's clock

test('open model: sends stay on schedule while every response takes 400 ms', async () => {
  const srv = await startFixture((_req, res) => { setTimeout(() => res.end('ok'), 400); });
  const gen = new LoadGenerator({ scenario: oneRouteScenario(), rate: 100, targets: [{ path: 'l4', origin: srv.origin }], runId: 't1' });
  let dueAfterMs = 0;
  try {
    gen.start();
    // 2 s at 100/s: stop once 200 arrivals were due; a closed model with few connections would manage far fewer
    await waitUntil('200 arrivals', () => gen.offered() >= 200, 20_000);
    dueAfterMs = nowMs() - gen.startedAt;
    await gen.stop();
  } finally {
    await srv.close();
  }
  const recs = gen.records;
  assert.ok(dueAfterMs >= 1990, `no arrival ahead of its schedule: 200 were due after ${dueAfterMs.toFixed(0)} ms`);
  assert.ok(gen.sent >= 200, `sent ${gen.sent}`);
  assert.equal(gen.dropped, 0);
  assert.equal(recs.length, gen.sent);
  const lags = recs.map((r) => r.t_start - r.t_sched).sort((a, b) => a - b);
  assert.ok(lags[Math.floor(lags.length * 0.99)]! < 60, `p99 send lag ${lags.at(-1)} ms`);
  assert.ok(recs.every((r) => r.class === 'ok' && latencyMs(r) >= 395), 'every latency includes the 400 ms wait');
  // the arrivals in the first second are as many as in the second: slow answers did not slow the sender
  const t0 = gen.startedAt;
  const first = recs.filter((r) => r.t_sched - t0 < 1000).length;
  assert.ok(first >= 90 && first <= 101, `first second had ${first} arrivals`);
});

test('latency is measured from the scheduled time, so server-side queueing shows up', async () => {
  // serial server: one request at a time, 50 ms each = 20/s capacity, offered 40/s
  let busy = Promise.resolve();
  const srv = await startFixture((_req, res) => {
    busy = busy.then(() => sleep(50)).then(() => { res.end('ok'); }); // the server's own service time
  });
  const gen = new LoadGenerator({ scenario: oneRouteScenario(), rate: 40, targets: [{ path: 'l4', origin: srv.origin }], runId: 't2' });
  try {
    gen.start();
    await waitUntil('60 arrivals (1.5 s at 40/s)', () => gen.offered() >= 60, 20_000);
    await gen.stop();
  } finally {
    await srv.close();
  }
  const recs = [...gen.records].sort((a, b) => a.t_sched - b.t_sched);
  assert.ok(recs.length >= 50, `${recs.length} records`);
  const lastLat = recs.slice(-5).map(latencyMs);
  assert.ok(Math.min(...lastLat) > 500, `late arrivals waited in the server queue: ${lastLat.map(Math.round)}`);
  const sendLag = Math.max(...recs.map((r) => r.t_start - r.t_sched));
  assert.ok(sendLag < 100, `sends were on time (max lag ${sendLag.toFixed(1)} ms)`);
});

test('dropped iterations are counted when the in-flight cap is reached', async () => {
  const srv = await startFixture((_req, res) => { setTimeout(() => res.end('ok'), 1500); });
  const gen = new LoadGenerator({ scenario: oneRouteScenario(), rate: 50, maxInFlight: 5, targets: [{ path: 'l4', origin: srv.origin }], runId: 't3' });
  try {
    gen.start();
    // 45 arrivals at 50/s, well before the first answer at 1.5 s frees a slot
    await waitUntil('40 arrivals dropped at the in-flight cap', () => gen.droppedInFlight >= 40, 20_000);
    await gen.stop();
  } finally {
    await srv.close();
  }
  assert.equal(gen.sent, 5);
  assert.ok(gen.droppedInFlight >= 40, `dropped ${gen.droppedInFlight}`);
  assert.equal(gen.dropped, gen.droppedInFlight);
});

test('ramp: arrivals follow the integral of a linear rate', () => {
  const s = new ArrivalSchedule({ startRate: 0, stages: [{ seconds: 2, target: 100 }] });
  // 0 -> 100/s over 2 s = 100 arrivals; the first 25 in the first second
  assert.ok(Math.abs(s.timeOf(25) - 1000) < 1);
  assert.ok(Math.abs(s.timeOf(100) - 2000) < 1);
  // after the ramp it holds 100/s
  assert.ok(Math.abs(s.timeOf(200) - 3000) < 1);
  const c = new ArrivalSchedule(200);
  assert.equal(c.timeOf(400), 2000);
  assert.throws(() => new ArrivalSchedule(-1), /LAB_BAD_OPTION/);
  assert.throws(() => new ArrivalSchedule(0), /LAB_BAD_OPTION: .*0 everywhere/);
});

test('keep-alive off: every request opens a new connection', async () => {
  const sockets = new Set<unknown>();
  const srv = await startFixture((req, res) => { sockets.add(req.socket); res.end('ok'); });
  const gen = new LoadGenerator({ scenario: oneRouteScenario(), rate: 50, keepAlive: false, targets: [{ path: 'l4', origin: srv.origin }], runId: 't4' });
  const genKa = new LoadGenerator({ scenario: oneRouteScenario(), rate: 50, targets: [{ path: 'l4', origin: srv.origin }], runId: 't5' });
  try {
    gen.start();
    await waitUntil('20 requests sent', () => gen.sent >= 20);
    await gen.stop();
    const noReuse = sockets.size;
    assert.equal(noReuse, gen.sent, 'one socket per request');
    sockets.clear();
    genKa.start();
    await waitUntil('20 requests sent', () => genKa.sent >= 20);
    await genKa.stop();
    assert.ok(sockets.size < genKa.sent / 2, `keep-alive reused sockets: ${sockets.size} for ${genKa.sent}`);
  } finally {
    await srv.close();
  }
});
