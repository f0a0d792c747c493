import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLASSES, emptyCounts, type ErrorClass } from '../../loadtest/classes.js';
import type { RequestRecord } from '../../loadtest/records.js';
import { deployWindow, extent, median, percentile } from '../../lab/report/stats.js';
import { summarize } from '../../lab/report/summarize.js';
import { toRunSummary, type K6Summary } from '../../lab/targets/kind/convert.js';
import { parseRequestLines } from '../../lab/targets/kind/requests.js';
import { mulberry32 } from '../../common/random.js';

test("percentile is k6's estimator (linear interpolation at p/100 × (n − 1)); the median is its 50th", () => {
  assert.equal(percentile([], 99), 0);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Math.abs(percentile([40, 10, 30, 20], 99) - 39.7) < 1e-9); // 30 + 0.97 × 10
  assert.equal(percentile([10, 20, 30, 40], 50), 25);
  assert.equal(percentile([1, 2, 3, 4, 5], 25), 2);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.ok(Math.abs(percentile(hundred, 99) - 99.01) < 1e-9); // numpy.percentile(range(1,101), 99)
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  const big = Array.from({ length: 300_000 }, (_, i) => i);
  assert.deepEqual(extent(big), { min: 0, max: 299_999 }, 'no spread of a large array into Math.max');
});

test('the deploy window opens at the first rollout (call or event just before it) and closes when the last one is done', () => {
  const events = [
    { t: 500, kind: 'rollout-start' }, // a rollout long before this run's first call: not ours
    { t: 9_400, kind: 'rollout-start' },
    { t: 10_200, kind: 'rollout-start' },
    { t: 30_500, kind: 'rollout-done' },
  ];
  assert.deepEqual(deployWindow(events, 10_000, 30_000), { start: 9_400, end: 30_500 });
  assert.deepEqual(deployWindow([], 10_000, 30_000), { start: 10_000, end: 30_000 });
});

const PHASES = { warmup: [0, 4_000], baseline: [4_000, 12_000], deploy: [12_000, 72_000], cooldown: [72_000, 76_000] } as const;
const T0 = 1_700_000_000_000;

function sameRecords(): RequestRecord[] {
  const rnd = mulberry32(7);
  const routes = ['fast', 'work', 'slow', 'jobs'];
  const out: RequestRecord[] = [];
  for (let i = 0; i < 6_000; i++) {
    const t = T0 + Math.floor(i * 12.5);
    const inRoll = t >= T0 + 20_000 && t <= T0 + 40_000;
    const cls: ErrorClass = inRoll && rnd() < 0.05 ? CLASSES[1 + Math.floor(rnd() * (CLASSES.length - 1))]! : 'ok';
    const route = routes[i % 4]!;
    const lat = route === 'slow' ? 1000 : Math.floor(1 + rnd() * (inRoll ? 400 : 40));
    out.push({ t_sched: t, t_start: t, t_end: t + lat, route, path: i % 2 ? 'l4' : 'ingress', status: cls === 'ok' ? 200 : 0, class: cls });
  }
  return out;
}

/** The k6 summary those requests would produce (counts per class × phase × path, by scheduled time). */
function k6SummaryOf(records: RequestRecord[]): K6Summary {
  const metrics: K6Summary['metrics'] = { lab_requests: { type: 'counter', values: { count: records.length } }, dropped_iterations: { type: 'counter', values: { count: 2 } } };
  for (const r of records) {
    const phase = Object.entries(PHASES).find(([, [a, b]]) => r.t_sched - T0 >= a && r.t_sched - T0 < b)?.[0] ?? 'cooldown';
    const key = `lab_requests{class:${r.class},phase:${phase},path:${r.path}}`;
    (metrics[key] ??= { type: 'counter', values: { count: 0 } }).values.count! += 1;
  }
  return { metrics };
}

test("both targets' converters turn the same records into the same row", () => {
  const records = sameRecords();
  const meta = { arm: 'before', levers: [], rep: 1, command: 'x', commit: 'c', date: 'd', params: { rate: 80, deploys: 1, propagationDelayMs: null, keepAlive: true, paths: ['l4', 'ingress'] }, notes: [] };
  const window = deployWindow([{ t: T0 + 19_800, kind: 'rollout-start' }], T0 + 20_000, T0 + 40_000);
  const baseline = { start: T0 + PHASES.baseline[0], end: T0 + PHASES.baseline[1] };
  const local = summarize({
    ...meta, target: 'local', records, dropped: 2, baseline, window, deployDurationsMs: [20_000],
    events: [{ t: T0 + 25_000, kind: 'sigkill' }], servingDeployment: 'service', jobs: { accepted: 1, applied: 1, lost: 0, duplicated: 0, unacknowledged: 0, balanceMismatches: 0 },
    readySamples: [{ t: T0 + 10_000, ready: { service: 1 } }, { t: T0 + 25_000, ready: { service: 2 } }, { t: T0 + 30_000, ready: { service: 3 } }],
  });
  // The kind path: what the k6 script logs, parsed back.
  const log = records.map((r) => `2026-11-21T00:00:00Z LAB_REQ ${JSON.stringify([r.t_sched, r.t_end - r.t_sched, r.route, r.path, r.status, r.class, 0])}`).join('\n');
  const parsed = parseRequestLines(log);
  assert.equal(parsed.malformed, 0);
  const kind = toRunSummary({
    ...meta, summary: k6SummaryOf(records), records: parsed.records, baseline, window, deployDurationsMs: [20_000],
    minReadyPods: 2, sigkills: 1, jobs: local.jobs,
    k6: { start: { t0: T0, rate: 80, perPath: 40, paths: ['l4', 'ingress'], seconds: 1, planned: records.length }, exit: { exitCode: 0 }, malformed: 0 },
  });
  assert.equal(kind.coverage?.complete, true, kind.coverage?.reasons.join('; '));
  // the client differs by design: k6 is Go's transport, whose resends inside one k6 request no log shows
  assert.deepEqual(kind.client, { name: 'go', rawWindowCounts: null, rawTotalCounts: null, resentWindow: null, resentTotal: null });
  const row = ({ target: _t, notes: _n, coverage: _c, client: _cl, ...rest }: typeof local) => rest;
  assert.deepEqual(row(kind), row(local));
  assert.ok(local.windowCounts.ok > 0 && local.windowErrorRate > 0 && local.p99RollMs > local.p99SteadyMs, JSON.stringify(local));
  assert.deepEqual(kind.notes, []);
  assert.notDeepEqual(local.windowCounts, emptyCounts());
});
