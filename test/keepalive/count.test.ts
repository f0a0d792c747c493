// The keepalive experiment's counting, on hand-made tries whose every field is known: windows, methods,
// exposure (reused near the app's close), races and who saw them, the pod's state at each failure, and
// the table the report re-renders from summary.json byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countRun } from '../../lab/experiments/keepalive/count.js';
import { keepAliveChart } from '../../lab/experiments/keepalive/chart.js';
import { keepAliveCsv, keepAliveMarkdown, type KeepAliveSummary } from '../../lab/experiments/keepalive/report.js';
import type { RequestRecord } from '../../loadtest/records.js';

const methodOf = new Map([['fast', 'GET'], ['jobs', 'POST']]);
const rec = (t: number, route: string, cls: RequestRecord['class'], path: RequestRecord['path'] = 'ingress'): RequestRecord => ({ t_sched: t, t_start: t, t_end: t + 5, route, path, status: cls === 'ok' ? 200 : 502, class: cls });
const ok = (t: number, method: string, idleMs?: number) => ({ t, method, path: '/', pod: 'p1', sent: true, outcome: 200, last: true, ...(idleMs === undefined ? {} : { upstream: { reused: true, idleMs } }) });
const fail = (t: number, method: string, pod: string, idleMs: number, last: boolean) => ({ t, method, path: '/', pod, sent: true, outcome: 'UND_ERR_SOCKET', last, upstream: { reused: true, idleMs } });

test('counts by window and method: tries, reused, reused near the close, races retried / answered; each failed try with its pod\'s state', () => {
  const window = { start: 2000, end: 3000 };
  const c = countRun({
    attempts: [
      ok(1000, 'GET'), ok(1100, 'GET', 100), ok(1200, 'GET', 5800), // steady: one reused near the 6 s close, no failure
      fail(2100, 'GET', 'p1', 6050, false), ok(2100, 'GET', 200), // deploy: a race retried, the retry ok
      fail(2500, 'POST', 'p2', 5900, true), // deploy: a race the client saw, on a terminating pod
      fail(2600, 'POST', 'p2', 300, true), // deploy: the rollout's
      { t: 2700, method: 'GET', path: '/', pod: 'p3', sent: false, outcome: 'ECONNREFUSED', last: false }, // never sent
    ],
    records: [rec(1000, 'fast', 'ok'), rec(1100, 'fast', 'ok'), rec(1200, 'fast', 'ok'), rec(2100, 'fast', 'ok'), rec(2500, 'jobs', 'http_502'), rec(2600, 'jobs', 'http_502'), rec(2700, 'fast', 'ok'), rec(2700, 'fast', 'refused', 'l4')],
    methodOf, window, closeMs: 6000, terminatingAt: new Map([['p2', 2400]]), startedAt: 1000,
  });
  const row = (w: string, m: string) => c.rows.find((r) => r.window === w && r.method === m)!;
  assert.deepEqual(row('steady', 'GET'), { window: 'steady', method: 'GET', requests: 3, failed: 0, tries: 3, reused: 2, exposed: 1, races: 0, racesRetried: 0, racesAnswered: 0 });
  assert.deepEqual(row('steady', 'POST'), { window: 'steady', method: 'POST', requests: 0, failed: 0, tries: 0, reused: 0, exposed: 0, races: 0, racesRetried: 0, racesAnswered: 0 });
  assert.deepEqual(row('deploy', 'GET'), { window: 'deploy', method: 'GET', requests: 2, failed: 0, tries: 3, reused: 2, exposed: 1, races: 1, racesRetried: 1, racesAnswered: 0 });
  assert.deepEqual(row('deploy', 'POST'), { window: 'deploy', method: 'POST', requests: 2, failed: 2, tries: 2, reused: 2, exposed: 1, races: 1, racesRetried: 0, racesAnswered: 1 });
  assert.equal(c.idleHistogram[0], 3); // idle 100, 200, 300 ms
  assert.equal(c.idleHistogram[11], 2); // 5800, 5900
  assert.equal(c.idleHistogram[12], 1); // 6050
  assert.deepEqual(c.failedTries.map((f) => [f.atMs, f.method, f.race, f.answered, f.podTerminatingForMs]), [[1100, 'GET', true, false, null], [1500, 'POST', true, true, 100], [1600, 'POST', false, true, 200]]);
  // no close measured (the 72 s arm): exposure and races are 0 whatever the idle ages
  const none = countRun({ attempts: [fail(2500, 'POST', 'p2', 5900, true)], records: [], methodOf, window, closeMs: undefined, terminatingAt: new Map(), startedAt: 1000 });
  assert.deepEqual(none.rows.map((r) => r.exposed + r.races), [0, 0, 0, 0]);
});

test('the table and CSV are a function of summary.json alone (the report re-renders them unchanged)', () => {
  const counts = countRun({ attempts: [fail(2500, 'POST', 'p2', 5900, true)], records: [rec(2500, 'jobs', 'http_502')], methodOf, window: { start: 2000, end: 3000 }, closeMs: 6000, terminatingAt: new Map(), startedAt: 1000 });
  const s: KeepAliveSummary = {
    experiment: 'keepalive', command: 'npm run lab -- keepalive', target: 'local', commit: 'c0ffee', date: '2026-12-02T00:00:00.000Z',
    params: { arms: ['after-keepalive-5s'], rates: [1], deploys: 1, phases: { baselineSeconds: 20 }, mix: ['POST /jobs ×10'], toleranceMs: 500, proxy: { id: 'ingress-nginx', idleTimeoutS: 60 }, runArtifacts: '.lab/keepalive/x', machine: { cores: 2, node: 'v20', os: 'linux', loadavgBefore: [1, 1, 1], loadavgAfter: [1, 1, 1] } },
    runs: [{ arm: 'after-keepalive-5s', rate: 1, replicas: 3, closeMs: 6000, hintS: 5, loopDelayMs: { p50: 1, p99: 2, max: 3 }, windowMs: 1000, deployDurationMs: 1000, ...counts }],
  };
  const md = keepAliveMarkdown(JSON.parse(JSON.stringify(s)) as KeepAliveSummary);
  assert.equal(md, keepAliveMarkdown(s));
  assert.match(md, /\| 1 \| after-keepalive-5s \| deploy \| POST \| 1 \| 1 \| 1 \| 1 \| 1 \| 1 \| 0 \| 1 \|/);
  assert.match(md, /each of the 3 pods gets an ingress request every 6\.00 s on average/);
  assert.match(md, /\| 1 \| after-keepalive-5s \| 1\.5 \| deploy \| POST \| p2 \| UND_ERR_SOCKET \| yes \| 5900 \| yes \| yes \| no \|/);
  assert.match(md, /^1 keep-alive race\(s\) in 1 tries reused near the app's close\.$/m);
  assert.match(keepAliveChart(s), /<title>race: POST at 1\.5 s into the load, idle 5900 ms, the client got a 502<\/title>/);
  assert.match(keepAliveChart(s), /<title>the app closes an idle connection after 6000 ms<\/title>/);
  assert.equal(keepAliveCsv(s).split('\n')[0], 'rate /s,arm,window,method,requests via ingress,failed,upstream tries,on a reused connection,reused near the app\'s close,keep-alive races,races retried,races answered 502');
});

test('the L4 path: raw failures, those on a reused connection before any response byte, the client\'s resends and what it reported, by window and method', () => {
  const l4 = (t: number, route: string, extra: Partial<RequestRecord>): RequestRecord => ({ ...rec(t, route, 'ok', 'l4'), ...extra });
  const c = countRun({
    attempts: [],
    records: [
      l4(1000, 'fast', { reused: true, respByte: true }), // steady: fine
      l4(1500, 'fast', { reused: true, respByte: false, retries: 1, rawClass: 'reset', class: 'ok' }), // steady: a race Go resent
      l4(2100, 'jobs', { reused: true, respByte: false, class: 'reset' }), // deploy: a race on a POST, reported
      l4(2200, 'fast', { reused: false, respByte: false, class: 'refused' }), // deploy: the rollout's, on a fresh connection
      rec(2300, 'fast', 'http_502'), // the ingress path: not counted here
    ],
    methodOf, window: { start: 2000, end: 3000 }, closeMs: 6000, terminatingAt: new Map(), startedAt: 1000,
  });
  const row = (w: string, m: string) => c.l4Rows!.find((r) => r.window === w && r.method === m)!;
  assert.deepEqual(row('steady', 'GET'), { window: 'steady', method: 'GET', requests: 2, raw: 1, races: 1, resent: 1, failed: 0 });
  assert.deepEqual(row('deploy', 'POST'), { window: 'deploy', method: 'POST', requests: 1, raw: 1, races: 1, resent: 0, failed: 1 });
  assert.deepEqual(row('deploy', 'GET'), { window: 'deploy', method: 'GET', requests: 1, raw: 1, races: 0, resent: 0, failed: 1 });
  assert.deepEqual(row('steady', 'POST'), { window: 'steady', method: 'POST', requests: 0, raw: 0, races: 0, resent: 0, failed: 0 });
});
