import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLASSES } from '../../loadtest/classes.js';
import { isLabError } from '../../common/errors.js';
import { k6Counts, parseK6Summary, parseMetricKey, toRunSummary, type ConvertInput } from '../../lab/targets/kind/convert.js';
import { between } from '../../lab/targets/kind/markers.js';
import { ROOT } from '../helpers/proc.js';

const FIXTURE = readFileSync(join(ROOT, 'test/kind/fixtures/k6-summary.json'), 'utf8');
const jobs = { accepted: 1510, applied: 1509, lost: 1, duplicated: 0, unacknowledged: 0, balanceMismatches: 1 };

function input(summaryText: string): ConvertInput {
  return {
    arm: 'before', levers: [], rep: 1, command: 'node dist/lab/targets/kind/main.js before', commit: 'abc', date: '2026-11-21T00:00:00.000Z',
    params: { rate: 200, deploys: 1, propagationDelayMs: null, keepAlive: true, paths: ['l4', 'ingress'] },
    notes: [], summary: parseK6Summary(summaryText), window: { start: 1000, end: 61000 }, deployDurationsMs: [30000, 34000, 31000],
    minReadyPods: 2, sigkills: 3, jobs,
  };
}

describe('k6 summary → RunSummary', () => {
  it('accounts for every class: classes sum to the requests, in total and per phase', () => {
    const s = toRunSummary(input(FIXTURE));
    const data = JSON.parse(FIXTURE);
    assert.equal(s.requests, data.metrics.lab_requests.values.count);
    assert.equal(s.requests, 15200);
    assert.equal(CLASSES.reduce((a, c) => a + s.totalCounts[c], 0), s.requests);
    assert.deepEqual(s.windowCounts, { ok: 11550, http_502: 200, http_503: 30, http_5xx_other: 0, reset: 70, refused: 120, timeout: 20, other: 10 });
    assert.equal(s.windowErrorRate, 450 / 12000);
    assert.equal(s.totalCounts.ok, 11550 + 3200);
    assert.equal(s.target, 'kind');
    assert.equal(s.params.propagationDelayMs, null);
    assert.equal(s.p99SteadyMs, 1009.8);
    assert.equal(s.p99RollMs, 3877.5);
    assert.equal(s.droppedIterations, 3);
    assert.equal(s.deployDurationMs, 31000);
    assert.equal(s.minReadyPods, 2);
    assert.equal(s.sigkills, 3);
    assert.deepEqual(s.jobs, jobs);
    assert.ok(s.notes.includes('k6 threshold crossed: errors{phase:deploy} count<1'));
  });

  it('reads the summary from a pod log between the markers', () => {
    const log = `LAB_K6_T0 1 {}\nLAB_JOB k a 1\n\nLAB_K6_SUMMARY_BEGIN\n${JSON.stringify(JSON.parse(FIXTURE))}\nLAB_K6_SUMMARY_END\n`;
    assert.equal(k6Counts(parseK6Summary(between(log, 'LAB_K6_SUMMARY_BEGIN', 'LAB_K6_SUMMARY_END'))).requests, 15200);
  });

  it('keeps requests no class sub-metric holds, as other, with a note', () => {
    const d = JSON.parse(FIXTURE);
    d.metrics.lab_requests.values.count += 7;
    const s = toRunSummary(input(JSON.stringify(d)));
    assert.equal(s.totalCounts.other, 10 + 7);
    assert.equal(CLASSES.reduce((a, c) => a + s.totalCounts[c], 0), s.requests);
    assert.ok(s.notes.some((n) => n.startsWith('7 k6 requests carried no class')));
  });

  it('tag order in sub-metric names does not matter', () => {
    assert.deepEqual(parseMetricKey('lab_requests{path:l4,class:ok,phase:deploy}'), { name: 'lab_requests', tags: { path: 'l4', class: 'ok', phase: 'deploy' } });
    assert.deepEqual(parseMetricKey('http_reqs'), { name: 'http_reqs', tags: {} });
  });

  it('rejects a missing, non-JSON, foreign or inconsistent summary with LAB_K6_SUMMARY', () => {
    const over = JSON.parse(FIXTURE);
    over.metrics.lab_requests.values.count = 10;
    const badClass = JSON.parse(FIXTURE);
    badClass.metrics['lab_requests{class:teapot,phase:deploy,path:l4}'] = { type: 'counter', values: { count: 1 } };
    const cases: Array<[string | null, RegExp]> = [
      [null, /no LAB_K6_SUMMARY_BEGIN/],
      ['{not json', /not JSON/],
      ['{"metrics":{"http_reqs":{"type":"counter","values":{"count":1}}}}', /no lab_requests metric/],
      [JSON.stringify(over), /more than the 10 requests/],
      [JSON.stringify(badClass), /unknown class or phase/],
    ];
    for (const [text, re] of cases) {
      assert.throws(() => k6Counts(parseK6Summary(text)), (e) => isLabError(e, 'LAB_K6_SUMMARY') && re.test(e.message), String(re));
    }
  });
});
