import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regenerateReport } from '../../lab/report/index.js';
import { median, percentile, relativeSpread, spread } from '../../lab/report/stats.js';
import { summarize } from '../../lab/report/summarize.js';
import { renderTimeline } from '../../lab/report/svg-timeline.js';
import type { RequestRecord } from '../../loadtest/records.js';
import { fakeSummary, storeRun } from './fixtures.js';

test("median, k6's interpolated percentile and spread", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Math.abs(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99) - 9.91) < 1e-9);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5.5);
  assert.deepEqual(spread([10, 30, 12]), { median: 12, min: 10, max: 30, n: 3 });
  assert.ok(Math.abs(relativeSpread(spread([10, 30, 12])) - 18 / 12) < 1e-9);
});

test('tables: median [min–max] over the reps of the latest batch of each arm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-report-'));
  try {
    // an older batch of before that must be ignored
    storeRun(dir, 'old-before-rep1', fakeSummary('before', 1, { http_502: 999, batch: 'a0' }));
    storeRun(dir, 'b-before-rep1', fakeSummary('before', 1, { http_502: 10, refused: 5, sigkills: 6, dup: 3 }));
    storeRun(dir, 'b-before-rep2', fakeSummary('before', 2, { http_502: 30, refused: 5, sigkills: 6, dup: 4 }));
    storeRun(dir, 'b-before-rep3', fakeSummary('before', 3, { http_502: 12, refused: 5, sigkills: 6, dup: 5 }));
    for (const rep of [1, 2, 3]) storeRun(dir, `b-after-rep${rep}`, fakeSummary('after', rep, { levers: ['pid1', 'readiness', 'drain', 'requeue', 'surge'] }));
    // a later ladder invocation also ran before: the ladder table shows it, the before/after table does not
    storeRun(dir, 'z-before-rep1', fakeSummary('before', 1, { http_502: 777, batch: 'c9', command: 'npm run lab -- ladder' }));
    storeRun(dir, 'z-l1-rep1', fakeSummary('ladder-1-pid1', 1, { batch: 'c9', command: 'npm run lab -- ladder', levers: ['pid1'] }));
    const r = regenerateReport(dir);
    assert.equal(r.runs, 9);
    assert.match(readFileSync(join(dir, 'ladder.md'), 'utf8'), /\| 777 \|/);
    // the tables, not the drift section (which lists every stored batch of `before` on purpose)
    const md = readFileSync(join(dir, 'before-after.md'), 'utf8').split('## Drift of')[0]!;
    const beforeRow = md.split('\n').find((l) => l.startsWith('| `before`'))!;
    assert.ok(beforeRow.includes('| 12 [10–30] |'), beforeRow);
    assert.ok(!md.includes('999'), 'the older batch is not mixed in');
    assert.ok(!md.includes('777'), 'the ladder invocation does not replace the before run');
    assert.ok(beforeRow.includes('| 4 [3–5] |'), 'duplicated side effects');
    const afterRow = md.split('\n').find((l) => l.startsWith('| `after`'))!;
    assert.ok(afterRow.includes('| 0.00 % |'), afterRow);
    const csv = readFileSync(join(dir, 'before-after.csv'), 'utf8').trim().split('\n');
    const head = csv[0]!.split(',');
    const row = csv[1]!.split(',');
    assert.equal(row[head.indexOf('http_502_median')], '12');
    assert.equal(row[head.indexOf('http_502_min')], '10');
    assert.equal(row[head.indexOf('http_502_max')], '30');
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    assert.match(readme, /before-after\.md/);
    assert.match(readme, /npm run lab -- before/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no ladder or leave-one-out table from before/after runs alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-report-'));
  try {
    storeRun(dir, 'a', fakeSummary('before', 1));
    storeRun(dir, 'b', fakeSummary('after', 1));
    regenerateReport(dir);
    assert.ok(existsSync(join(dir, 'before-after.md')));
    assert.ok(!existsSync(join(dir, 'ladder.md')));
    assert.ok(!existsSync(join(dir, 'leave-one-out.md')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an after run of another L7 path does not join the leave-one-out table on its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-report-'));
  try {
    const loo = { command: 'npm run lab -- leave-one-out', batch: 'loo' };
    storeRun(dir, 'l1', fakeSummary('after', 1, loo));
    storeRun(dir, 'l2', fakeSummary('without-pid1', 1, { ...loo, reset: 46 }));
    const envoy = fakeSummary('after', 1, { command: 'npm run lab -- before after --l7 envoy-gateway', batch: 'eg' });
    envoy.params.l7 = 'envoy-gateway';
    storeRun(dir, 'e1', envoy);
    regenerateReport(dir);
    const table = readFileSync(join(dir, 'leave-one-out.md'), 'utf8');
    assert.match(table, /\| `without-pid1` \|/);
    assert.doesNotMatch(table, /envoy-gateway/, 'the envoy-gateway after row belongs to before/after, not here');
    assert.doesNotMatch(table, /Mixed batches/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ladder write-up names each lever with its measured numbers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-report-'));
  try {
    storeRun(dir, 'l0', fakeSummary('before', 1, { reset: 80, sigkills: 6 }));
    storeRun(dir, 'l1', fakeSummary('ladder-1-pid1', 1, { reset: 7, refused: 40, levers: ['pid1'] }));
    storeRun(dir, 'l2', fakeSummary('ladder-2-readiness', 1, { reset: 7, levers: ['pid1', 'readiness'] }));
    storeRun(dir, 'l3', fakeSummary('ladder-3-drain', 1, { dup: 5, levers: ['pid1', 'readiness', 'drain'] }));
    storeRun(dir, 'l4', fakeSummary('ladder-4-requeue', 1, { levers: ['pid1', 'readiness', 'drain', 'requeue'] }));
    storeRun(dir, 'l5', fakeSummary('after', 1, { levers: ['pid1', 'readiness', 'drain', 'requeue', 'surge'] }));
    regenerateReport(dir);
    const w = readFileSync(join(dir, 'ladder-writeup.md'), 'utf8');
    assert.match(w, /## 1\. `pid1` \(`before` → `ladder-1-pid1`, ladder batch\)/);
    // one rep per arm: no spread, so nothing is bold
    assert.match(w, /SIGKILLs: 6 → 0 \(1 rep: run-to-run spread unknown\)/);
    assert.doesNotMatch(w, /→ \*\*/);
    assert.match(w, /`before`'s 502s and refusals come from: new pods routed before they listen/);
    assert.match(w, /## 2\. `readiness`/);
    assert.match(w, /refused: 40 → 0 \(1 rep/);
    assert.match(w, /## 3\. `drain`[\s\S]*## 4\. `requeue`[\s\S]*side effects duplicated: 5 → 0 \(1 rep[\s\S]*## 5\. `surge`/);
    const ladder = readFileSync(join(dir, 'ladder.md'), 'utf8');
    assert.match(ladder, /Δ failed in whole run vs previous step/);
    // whole-run failures: before 80 resets, pid1 7 resets + 40 refused → 47 - 80 = -33
    const row = ladder.split('\n').find((l) => l.startsWith('| `ladder-1-pid1`'))!;
    assert.match(row, /\| -33 \|$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('summarize: the window holds every request alive during it, the baseline those scheduled in it; SVG has every panel', () => {
  const rec = (t: number, cls: RequestRecord['class'], lat = 10): RequestRecord => ({ t_sched: t, t_start: t, t_end: t + lat, route: 'fast', path: 'l4', status: cls === 'ok' ? 200 : 0, class: cls });
  // rec(1300) was sent before the first rollout event and reset during it: a deploy failure
  const records = [rec(100, 'ok', 5), rec(200, 'ok', 7), rec(1300, 'reset', 200), rec(1500, 'refused', 1), rec(1600, 'ok', 900), rec(5000, 'ok')];
  const s = summarize({
    arm: 'before', levers: [], target: 'local', rep: 1, command: 'x', commit: 'c', date: 'd',
    params: { rate: 1, deploys: 1, propagationDelayMs: 1000, keepAlive: true, paths: ['l4'] }, notes: [], records, dropped: 0,
    events: [{ t: 1400, kind: 'rollout-start' }, { t: 1800, kind: 'sigkill', pod: 'p' }, { t: 2000, kind: 'rollout-done' }],
    baseline: { start: 0, end: 1000 }, window: { start: 1400, end: 2000 }, deployDurationsMs: [600],
    readySamples: [{ t: 1300, ready: { service: 3 } }, { t: 1500, ready: { service: 2 } }, { t: 1900, ready: { service: 3 } }],
    servingDeployment: 'service', jobs: { accepted: 0, applied: 0, lost: 0, duplicated: 0, unacknowledged: 0, balanceMismatches: 0 },
  });
  assert.equal(s.windowCounts.refused, 1);
  assert.equal(s.windowCounts.reset, 1);
  assert.equal(s.windowCounts.ok, 1);
  assert.equal(s.windowErrorRate, 2 / 3);
  assert.equal(s.p99SteadyMs, 7);
  assert.equal(s.p99RollMs, 886); // 200 + 0.98 × (900 − 200): interpolated, as k6 reports it
  assert.equal(s.minReadyPods, 2);
  assert.equal(s.sigkills, 1);
  const svg = renderTimeline({ records, summary: s, timeline: { events: [{ t: 1400, kind: 'rollout-start' }, { t: 1800, kind: 'sigkill' }], phases: [{ name: 'deploy', start: 1400, end: 2000 }], readySamples: [{ t: 1300, ready: { service: 3 } }] } });
  for (const label of ['requests/s', 'errors/s by class', 'p99 latency', 'ready pods', 'refused', 'SIGKILL', 'rollout start']) assert.ok(svg.includes(label), label);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
});

test('progress line: arm, rep, phase, rollout, non-zero classes, elapsed and remaining', async () => {
  const { formatProgress } = await import('../../lab/engine/progress.js');
  const { emptyCounts } = await import('../../loadtest/classes.js');
  const counts = { ...emptyCounts(), ok: 120, reset: 3 };
  const line = formatProgress({ arm: 'before', rep: 2, reps: 3, phase: 'deploy', rollout: 'service 1/3 updated', counts, startedAt: 0, etaAt: 90_000 }, 30_000);
  assert.equal(line, '[before rep 2/3] | deploy | rollout service 1/3 updated | ok=120 reset=3 | elapsed 30s | remaining ~60s');
});

test('write-up: bold only for disjoint ranges over ≥ 2 reps; overlapping ranges are "no measurable change"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-report-'));
  try {
    const lv = { drain: ['pid1', 'readiness', 'drain'], requeue: ['pid1', 'readiness', 'drain', 'requeue'] };
    for (const rep of [1, 2, 3]) {
      storeRun(dir, `d${rep}`, fakeSummary('ladder-3-drain', rep, { dup: 4 + rep, lost: rep, levers: lv.drain }));
      storeRun(dir, `q${rep}`, fakeSummary('ladder-4-requeue', rep, { dup: 0, lost: rep + 1, levers: lv.requeue }));
    }
    regenerateReport(dir);
    const w = readFileSync(join(dir, 'ladder-writeup.md'), 'utf8');
    assert.match(w, /side effects duplicated: 6 \[5–7\] → \*\*0\*\*/, 'disjoint ranges: a real change, bold');
    assert.match(w, /jobs lost: 2 \[1–3\] → 3 \[2–4\]: no measurable change \(inside the run-to-run spread\)/, 'overlapping ranges: not bold');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stress runs feed only results/stress.md with the claim checked; batches are named, mixed ones loudly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-report-'));
  try {
    storeRun(dir, 'b1', fakeSummary('before', 1, { reset: 80, batch: 'b1', command: 'npm run lab -- before after' }));
    storeRun(dir, 'a1', fakeSummary('after', 1, { batch: 'b1', command: 'npm run lab -- before after', levers: ['pid1'] }));
    for (const rep of [1, 2, 3, 4, 5]) storeRun(dir, `s${rep}`, { ...fakeSummary('after', rep, { batch: 'st', command: 'npm run lab -- stress' }), requests: 41_000 });
    regenerateReport(dir);
    const ba = readFileSync(join(dir, 'before-after.md'), 'utf8');
    assert.match(ba, /One batch: `npm run lab -- before after`/);
    assert.doesNotMatch(ba, /stress/, 'the stress runs are not the headline after');
    const st = readFileSync(join(dir, 'stress.md'), 'utf8');
    assert.match(st, /Over all 5 runs: 205000 requests, 0 failed[\s\S]*\*\*met\*\*/);
    // a later `after` alone: the headline now pairs two batches and says so
    storeRun(dir, 'a2', fakeSummary('after', 1, { batch: 'b2', command: 'npm run lab -- after', levers: ['pid1'] }));
    regenerateReport(dir);
    assert.match(readFileSync(join(dir, 'before-after.md'), 'utf8'), /\*\*Mixed batches\*\*: these rows come from 2 separate invocations/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
