// Tables show failures as each run's client saw them and, beside them, the raw count (no client
// resends) and the resends — but only once a run recorded its client, so reports over older runs
// stay byte for byte what they were (test/docs/regenerate.test.ts checks the stored ones).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCounts } from '../../loadtest/classes.js';
import { regenerateReport } from '../../lab/report/index.js';
import { K6_CLIENT, clientCounts } from '../../lab/report/client-counts.js';
import type { RequestRecord } from '../../loadtest/records.js';
import type { RunSummary } from '../../lab/engine/schema.js';
import { fakeSummary, storeRun } from '../engine/fixtures.js';

/** An `after` run by the go client that saw nothing fail, while 3 requests failed on their first attempt (2 in the window) and were resent. */
function goRun(rep: number, command = 'npm run lab -- before after'): RunSummary {
  const s = fakeSummary('after', rep, { levers: ['pid1', 'readiness', 'drain', 'requeue', 'surge'], command });
  const rawWindowCounts = { ...s.windowCounts, ok: s.windowCounts.ok - 2, reset: 2 };
  const rawTotalCounts = { ...s.totalCounts, ok: s.totalCounts.ok - 3, reset: 3 };
  return { ...s, client: { name: 'go', rawWindowCounts, rawTotalCounts, resentWindow: 2, resentTotal: 3 } };
}

const rowOf = (md: string, arm: string) => md.split('\n').find((l) => l.startsWith(`| \`${arm}\``))!;
const cellsOf = (line: string) => line.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, ''));

test('older runs only: no client column, no raw or resent counts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'client-cols-'));
  try {
    storeRun(dir, 'b-before-rep1', fakeSummary('before', 1, { reset: 4 }));
    storeRun(dir, 'b-after-rep1', fakeSummary('after', 1, { levers: ['pid1', 'readiness', 'drain', 'requeue', 'surge'] }));
    regenerateReport(dir);
    const md = readFileSync(join(dir, 'before-after.md'), 'utf8');
    assert.doesNotMatch(md, /\| client \||raw failed|resent by the client/);
    assert.doesNotMatch(readFileSync(join(dir, 'README.md'), 'utf8'), /\| client \||raw failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run that recorded its client: the client, the raw count and the resends sit beside the failures; an older local run reads node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'client-cols-'));
  try {
    storeRun(dir, 'b-before-rep1', fakeSummary('before', 1, { reset: 4 }));
    storeRun(dir, 'b-after-rep1', goRun(1));
    regenerateReport(dir);
    const md = readFileSync(join(dir, 'before-after.md'), 'utf8').split('## Drift of')[0]!;
    const header = cellsOf(md.split('\n').find((l) => l.startsWith('| arm |'))!);
    const col = (name: string) => { const i = header.indexOf(name); assert.ok(i >= 0, `${name} in ${header.join(' | ')}`); return i; };
    assert.equal(col('client'), col('L7') + 1);
    assert.equal(col('raw failed in window (no client resends)'), col('failed in whole run') + 1);
    const after = cellsOf(rowOf(md, 'after'));
    assert.equal(after[col('client')], 'go');
    assert.equal(after[col('failed in window')], '0');
    assert.equal(after[col('raw failed in window (no client resends)')], '2');
    assert.equal(after[col('raw failed in whole run')], '3');
    assert.equal(after[col('resent by the client (whole run)')], '3');
    // the before run predates the field: its generator resent nothing, so raw = seen, 0 resent
    const before = cellsOf(rowOf(md, 'before'));
    assert.equal(before[col('client')], 'node');
    assert.equal(before[col('raw failed in window (no client resends)')], before[col('failed in window')]);
    assert.equal(before[col('resent by the client (whole run)')], '0');
    const csv = readFileSync(join(dir, 'before-after.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const afterCsv = csv.find((r) => r[0] === 'after')!;
    assert.equal(afterCsv[csv[0]!.indexOf('client')], 'go');
    assert.equal(afterCsv[csv[0]!.indexOf('raw_run_failures_median')], '3');
    assert.equal(afterCsv[csv[0]!.indexOf('resent_run_median')], '3');
    // the list of runs too: the after run's row carries its client, raw and resent counts in the window
    const runsTable = readFileSync(join(dir, 'README.md'), 'utf8').split('## Runs')[1]!;
    assert.match(runsTable, /\| run \| arm \| rep \| date \| failed in window \| client \| raw failed in window \| resent in window \|/);
    assert.match(runsTable, /\| after \| 1 \| [^|]+ \| 0 \| go \| 2 \| 2 \|/);
    assert.match(runsTable, /\| before \| 1 \| [^|]+ \| 4 \| node \| 4 \| 0 \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the stress claim names the client and puts the raw count and the resends beside the failures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'client-cols-'));
  try {
    for (const rep of [1, 2]) storeRun(dir, `s-after-rep${rep}`, { ...goRun(rep, 'npm run lab -- stress'), params: { ...goRun(rep).params, rate: 800, batch: 's1' } });
    regenerateReport(dir);
    const claim = readFileSync(join(dir, 'stress.md'), 'utf8').split('## The claim')[1]!;
    assert.match(claim, /0 failed \(whole runs\) \(rate < .*\) as the client saw them \(go\); 6 raw \(each request by its first attempt, as a client without resends counts\), 6 resent by the client, 0 jobs lost/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("client counts from records: raw by the first attempt, resends counted in and out of the window; k6's are not measurable", () => {
  const rec = (t: number, cls: RequestRecord['class'], raw?: RequestRecord['class']): RequestRecord => ({
    t_sched: t, t_start: t, t_end: t + 5, route: 'fast', path: 'l4', status: cls === 'ok' ? 200 : 0, class: cls, ...(raw ? { rawClass: raw, retries: 1 } : {}),
  });
  const c = clientCounts('go', [rec(0, 'ok'), rec(100, 'ok', 'reset'), rec(500, 'ok', 'reset'), rec(600, 'reset')], { start: 50, end: 550 });
  assert.deepEqual(c.rawTotalCounts, { ...emptyCounts(), ok: 1, reset: 3 });
  assert.deepEqual(c.rawWindowCounts, { ...emptyCounts(), reset: 2 });
  assert.equal(c.resentTotal, 2);
  assert.equal(c.resentWindow, 2);
  assert.equal(K6_CLIENT.rawTotalCounts, null);
});
