import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLASSES } from '../../loadtest/classes.js';
import { isLabError } from '../../common/errors.js';
import { k6Counts, parseK6Summary, parseMetricKey, toRunSummary, type ConvertInput, type K6Summary } from '../../lab/targets/kind/convert.js';
import type { RequestRecord } from '../../loadtest/records.js';
import { between, splitTimestamp } from '../../lab/targets/kind/markers.js';
import { parseRequestLines } from '../../lab/targets/kind/requests.js';
import { aggregate, markdownTable } from '../../lab/report/tables.js';
import { findArm } from '../../lab/engine/arms.js';
import { ROOT } from '../helpers/proc.js';

const FIXTURE = readFileSync(join(ROOT, 'test/kind/fixtures/k6-summary.json'), 'utf8');
const jobs = { accepted: 1510, applied: 1509, lost: 1, duplicated: 0, unacknowledged: 0, balanceMismatches: 1 };

// k6's phases on a clock starting at 0; records are placed inside their phase, so the window = the
// deploy phase holds exactly the deploy phase's class counts.
const PHASE_AT = { warmup: [0, 4000], baseline: [4000, 12000], deploy: [20000, 80000], cooldown: [90000, 94000] } as const;

function recordsOf(summary: K6Summary): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (const [phase, counts] of Object.entries(k6Counts(summary).byPhase)) {
    const [a, b] = PHASE_AT[phase as keyof typeof PHASE_AT];
    const all = CLASSES.flatMap((cls) => Array.from({ length: counts[cls] }, () => cls));
    all.forEach((cls, i) => {
      const t = a + ((b - a - 100) * i) / Math.max(1, all.length);
      out.push({ t_sched: t, t_start: t, t_end: t + 10 + (i % 50), route: 'fast', path: i % 2 ? 'l4' : 'ingress', status: cls === 'ok' ? 200 : 0, class: cls });
    });
  }
  return out;
}

function input(summaryText: string, records?: RequestRecord[]): ConvertInput {
  const summary = parseK6Summary(summaryText);
  return {
    arm: 'before', levers: [], rep: 1, command: 'node dist/lab/targets/kind/main.js before', commit: 'abc', date: '2026-11-21T00:00:00.000Z',
    params: { rate: 200, deploys: 1, propagationDelayMs: null, keepAlive: true, paths: ['l4', 'ingress'] },
    notes: [], summary, records: records ?? recordsOf(summary), baseline: { start: 4000, end: 12000 }, window: { start: 20000, end: 80000 },
    deployDurationsMs: [30000, 34000, 31000], minReadyPods: 2, sigkills: 3, jobs,
    // k6 announced 100/s per path for 76 s; it exited 99 (its deploy-phase threshold, crossed in the fixture)
    k6: { start: { t0: 0, rate: 200, perPath: 100, paths: ['l4', 'ingress'], seconds: 76, planned: 15200 }, exit: { exitCode: 99 }, malformed: 0 },
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
    assert.ok(s.p99SteadyMs >= 10 && s.p99SteadyMs <= 60, String(s.p99SteadyMs));
    assert.equal(s.droppedIterations, 3);
    assert.equal(s.deployDurationMs, 31000);
    assert.equal(s.minReadyPods, 2);
    assert.equal(s.sigkills, 3);
    assert.deepEqual(s.jobs, jobs);
    assert.ok(s.notes.includes('k6 threshold crossed: errors{phase:deploy} count<1'));
    assert.ok(!s.notes.some((n) => n.includes('request line')), s.notes.join('; '));
    assert.equal(s.coverage?.complete, true, s.coverage?.reasons.join('; '));
  });

  it('the window is the measured one: requests outside it do not count, and a short log is noted', () => {
    const full = input(FIXTURE);
    const s = toRunSummary({ ...full, window: { start: 20000, end: 21000 } });
    const inside = full.records.filter((r) => r.t_sched <= 21000 && r.t_end >= 20000).length;
    assert.ok(inside > 0 && inside < 12000);
    assert.equal(CLASSES.reduce((a, c) => a + s.windowCounts[c], 0), inside);
    const short = toRunSummary({ ...full, records: full.records.slice(5) });
    assert.equal(short.requests, 15195);
    assert.ok(short.notes.some((n) => n.includes('holds 15195 request line(s) for the 15200 request(s) k6 counted')), short.notes.join('; '));
    assert.equal(short.coverage?.complete, false, 'a row built on a short log says so');
  });

  it('reads the summary from a pod log between the markers', () => {
    const log = `LAB_K6_T0 1 {}\nLAB_JOB k a 1\n\nLAB_K6_SUMMARY_BEGIN\n${JSON.stringify(JSON.parse(FIXTURE))}\nLAB_K6_SUMMARY_END\n`;
    assert.equal(k6Counts(parseK6Summary(between(log, 'LAB_K6_SUMMARY_BEGIN', 'LAB_K6_SUMMARY_END'))).requests, 15200);
  });

  it('keeps requests no class sub-metric holds, as other, with a note', () => {
    const d = JSON.parse(FIXTURE);
    d.metrics.lab_requests.values.count += 7;
    const s = toRunSummary(input(JSON.stringify(d), recordsOf(parseK6Summary(FIXTURE))));
    assert.equal(k6Counts(parseK6Summary(JSON.stringify(d))).total.other, 10 + 7);
    assert.ok(s.notes.some((n) => n.startsWith('7 k6 requests carried no class')));
  });

  it('a row on partial data says why: malformed lines, k6 exits other than its threshold 99, a load short of the plan, job lines missing', () => {
    const full = input(FIXTURE);
    const reasons = (patch: Partial<ConvertInput['k6']>) => toRunSummary({ ...full, k6: { ...full.k6, ...patch } }).coverage!.reasons;
    assert.deepEqual(reasons({}), []);
    assert.match(reasons({ malformed: 2, firstMalformed: 'LAB_REQ [1,2' })[0]!, /^2 malformed LAB_REQ line\(s\) in the k6 log, the first: "LAB_REQ \[1,2"$/);
    assert.deepEqual(reasons({ exit: { exitCode: 137, reason: 'OOMKilled' } }), ['k6 exited 137 (SIGKILL (OOMKilled or the Job deadline?)), reason OOMKilled']);
    assert.deepEqual(reasons({ exit: null }), ["the k6 container's exit code is unknown"]);
    assert.match(reasons({ start: { ...full.k6.start, planned: 30400 } })[0]!, /accounted for 15203 arrivals \(sent \+ dropped\) of the 30400 planned/);
    assert.match(reasons({ jobLines: { logged: 10, malformed: 0 } })[0]!, /holds 10 LAB_JOB line\(s\) for the \d+ job\(s\) k6 saw accepted/);
    // 99 is k6's "thresholds crossed": expected only when the summary says a threshold was crossed
    const calm = JSON.parse(FIXTURE);
    for (const m of Object.values<any>(calm.metrics)) for (const t of Object.values<any>(m.thresholds ?? {})) t.ok = true;
    const quiet = toRunSummary({ ...input(JSON.stringify(calm)), k6: { ...full.k6, exit: { exitCode: 99 } } });
    assert.deepEqual(quiet.coverage!.reasons, ['k6 exited 99 (thresholds crossed)']);
  });

  it('a before/after table names the repetitions built on partial data', () => {
    const complete = toRunSummary(input(FIXTURE));
    const partial = toRunSummary({ ...input(FIXTURE), k6: { ...input(FIXTURE).k6, exit: null } });
    const row = aggregate(findArm('before'), [{ dir: 'runs/a', summary: complete }, { dir: 'runs/b', summary: partial }]);
    assert.match(markdownTable([row]), /^\| `before` \| [^|]+ \| kind \| [^|]+ \| 2 \(1 on partial data\) \|/m);
    assert.match(markdownTable([aggregate(findArm('before'), [{ dir: 'runs/a', summary: complete }])]), /^\| `before` \| [^|]+ \| kind \| [^|]+ \| 1 \|/m);
  });

  it('kubelet log timestamps parse with any RFC 3339 offset (containerd writes the node zone)', () => {
    const at = Date.parse('2026-12-02T07:11:36.123Z');
    for (const stamp of ['2026-12-02T07:11:36.123456789Z', '2026-12-02T08:11:36.123456789+01:00', '2026-12-02T01:41:36.123-05:30', '2026-12-02t07:11:36.123z']) {
      assert.deepEqual(splitTimestamp(`${stamp} LAB_REQ x`), { t: at, text: 'LAB_REQ x' }, stamp);
    }
    assert.deepEqual(splitTimestamp('2026-12-02T07:11:36+00:00 y'), { t: Date.parse('2026-12-02T07:11:36Z'), text: 'y' });
    assert.equal(splitTimestamp('2026-12-02T07:11:36 no zone').t, null);
  });

  it('request lines: a JSON array after the marker, with or without a kubelet timestamp; anything else is malformed', () => {
    const ok = `2026-12-02T08:11:36.1+01:00 LAB_REQ ${JSON.stringify([1000, 12, 'POST /orders?x=a b', 'ingress', 0, 'refused', 1212])}`;
    const bad = ['LAB_REQ 1000 1012 GET /orders l4 200 ok', 'LAB_REQ [1000,12,"GET /","l4",200,"ok"]', 'LAB_REQ [1000,-1,"GET /","l4",200,"ok",0]',
      'LAB_REQ [1000,12,"GET /","udp",200,"ok",0]', 'LAB_REQ [1000,12,"GET /","l4",200,"teapot",0]', 'LAB_REQ [1000,12,"GET /","l4",20'];
    // since the connection tags: reused, idempotent (0|1) and the pod that answered
    const tagged = `LAB_REQ ${JSON.stringify([2000, 5, 'GET /fast', 'l4', 200, 'ok', 0, 1, 1, 'service-5d8f7c9b6d-x2k4q'])}`;
    const taggedFailed = `LAB_REQ ${JSON.stringify([3000, 5, 'POST /jobs', 'l4', 0, 'reset', 1220, 0, 0, ''])}`;
    bad.push('LAB_REQ [1000,12,"GET /","l4",200,"ok",0,2,1,""]', 'LAB_REQ [1000,12,"GET /","l4",200,"ok",0,1,1,null]', 'LAB_REQ [1000,12,"GET /","l4",200,"ok",0,1,1]');
    const p = parseRequestLines([ok, tagged, taggedFailed, 'LAB_JOB k a 1', ...bad].join('\n'));
    assert.deepEqual(p.records, [
      { t_sched: 1000, t_start: 1000, t_end: 1012, route: 'POST /orders?x=a b', path: 'ingress', status: 0, class: 'refused', errorCode: 'k6:1212' },
      { t_sched: 2000, t_start: 2000, t_end: 2005, route: 'GET /fast', path: 'l4', status: 200, class: 'ok', reused: true, idempotent: true, respByte: true, pod: 'service-5d8f7c9b6d-x2k4q' },
      { t_sched: 3000, t_start: 3000, t_end: 3005, route: 'POST /jobs', path: 'l4', status: 0, class: 'reset', errorCode: 'k6:1220', reused: false, idempotent: false },
    ]);
    assert.equal(p.malformed, bad.length);
    assert.equal(p.firstMalformed, bad[0]);
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
