// The route-retry experiment: how a request's tries at the proxy are classified, the claims drawn
// from them, the results redrawn from summary.json alone, bad options refused before anything starts,
// and one short run end to end on the local target (real pods, real Redis, the in-lab Envoy profile).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Attempt } from '../../lab/targets/local/ingress.js';
import { classify, count } from '../../lab/experiments/route-retry/classify.js';
import { summaryMarkdown, verdicts, writeResults, type RouteRetryRow, type RouteRetrySummary } from '../../lab/experiments/route-retry/report.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const at = (method: string, pod: string, sent: boolean, outcome: number | string): Attempt => ({ method, path: '/x?r=q1', pod, sent, outcome });

describe('route-retry classification', () => {
  test('the first try names the kind; the client outcome says whether the retry hid it', () => {
    const rows = [
      classify({ id: 'a', method: 'GET', status: 200 }, [at('GET', 'p1', false, 'ECONNREFUSED'), at('GET', 'p2', true, 200)], 3),
      classify({ id: 'b', method: 'GET', status: 503 }, [at('GET', 'p1', false, 'ECONNREFUSED'), at('GET', 'p2', false, 'ECONNREFUSED'), at('GET', 'p3', false, 'ECONNREFUSED')], 3),
      classify({ id: 'c', method: 'POST', status: 503 }, [at('POST', 'p1', true, 'UND_ERR_SOCKET')], 3),
      classify({ id: 'd', method: 'GET', status: 503 }, [at('GET', 'p1', false, 'ECONNREFUSED'), at('GET', 'p2', true, 'ECONNRESET')], 3),
      classify({ id: 'e', method: 'GET', status: 200, cut: true }, [at('GET', 'p1', true, 200)], 3),
      classify({ id: 'f', method: 'GET', status: 200 }, [at('GET', 'p1', true, 503), at('GET', 'p2', true, 200)], 3),
      classify({ id: 'g', method: 'GET', status: 200 }, [at('GET', 'p1', true, 200)], 3),
    ];
    assert.deepEqual(rows.map((r) => [r.first, r.clientFailed, r.noRetryLeft]), [
      ['refused', false, false], ['refused', true, true], ['reset-post', true, true], ['refused', true, true], ['cut', true, true], ['pod-503', false, false], [null, false, false],
    ]);
    const c = count(rows);
    assert.deepEqual(c.byKind.refused, { firstTries: 3, clientFailures: 2, noRetryLeftFailures: 2 });
    assert.deepEqual([c.requests, c.clientFailures, c.retried], [7, 4, 4]);
    const row = (variant: 'none' | 'retry', counts = c): RouteRetryRow => ({ arm: 'x', variant, maxTries: 3, rolloutMs: 1000, dropped: 0, counts });
    const v = verdicts([row('retry')]);
    assert.deepEqual(v.map((x) => x.held), [true, true, true, true]);
    // a refused first try that failed with a retry still allowed would break the first claim
    const broken = count([...rows, classify({ id: 'h', method: 'GET', status: 503 }, [at('GET', 'p1', false, 'ECONNREFUSED')], 3)]);
    assert.equal(verdicts([row('retry', broken)])[0]!.held, false);
    assert.equal(verdicts([row('none')])[0]!.held, null, 'no retry variant: nothing claimed');
  });

  test('the results are redrawn from summary.json alone, byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-rr-'));
    try {
      const rows = [classify({ id: 'a', method: 'GET', status: 200 }, [at('GET', 'p1', false, 'ECONNREFUSED'), at('GET', 'p2', true, 200)], 3)];
      const s: RouteRetrySummary = {
        experiment: 'route-retry', command: 'npm run lab -- route-retry', target: 'local', commit: 'abc', date: '2026-12-02T00:00:00.000Z',
        params: { arms: ['x'], rate: 10, streams: 0, l7: 'envoy-gateway', variants: { none: { file: 'a.yaml', retry: null }, retry: { file: 'b.yaml', retry: { codes: [503], retries: 2, baseBackoffMs: 100, maxBackoffMs: 1000 } } }, machine: { cores: 2, node: 'v20', os: 'linux', loadavgBefore: [1, 1, 1], loadavgAfter: [1, 1, 1] } },
        rows: [{ arm: 'x', variant: 'retry', maxTries: 3, rolloutMs: 1000, dropped: 0, counts: count(rows) }],
      };
      const files = writeResults(dir, s);
      const first = files.map((f) => readFileSync(join(dir, f), 'utf8'));
      writeResults(dir, JSON.parse(JSON.stringify(s)) as RouteRetrySummary);
      assert.deepEqual(files.map((f) => readFileSync(join(dir, f), 'utf8')), first);
      assert.match(summaryMarkdown(s), /\| `x` \| route retry \| 1 \| 1 → 0 \|/);
      assert.match(first[2]!, /^<svg /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('route-retry command line', () => {
  test('bad options exit 2, name the option, and write nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-rr-'));
    try {
      for (const [args, msg] of [
        [['--arms', 'nope'], /LAB_BAD_OPTION: .*--arms/],
        [['--rate', '5'], /--rate 5 is out of range 10\.\.400/],
        [['--target', 'kind'], /--target must be one of local, got "kind"/],
      ] as const) {
        const r = spawnSync(process.execPath, ['dist/lab/cli.js', 'route-retry', ...args, '--results-dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, msg);
      }
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('one arm end to end: both variants run, the retry variant retries, every claim with data holds', { timeout: 300_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-rr-'));
    try {
      // LAB_ROUTE_RETRY_SHORT_PHASES: 1 s of load before each rollout instead of 3 s (recorded in params.loadMs)
      const r = spawnSync(process.execPath, ['dist/lab/cli.js', 'route-retry', '--arms', 'ladder-1-pid1', '--rate', '20', '--streams', '1', '--results-dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 280_000, env: { ...process.env, LAB_ROUTE_RETRY_SHORT_PHASES: '1' } });
      assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      const s = JSON.parse(readFileSync(join(dir, 'route-retry', 'summary.json'), 'utf8')) as RouteRetrySummary;
      assert.deepEqual(s.rows.map((x) => [x.arm, x.variant, x.maxTries]), [['ladder-1-pid1', 'none', 1], ['ladder-1-pid1', 'retry', 3]]);
      assert.deepEqual(s.params.loadMs, { beforeRollout: 1000, afterRollout: 2000 });
      assert.deepEqual(s.params.variants.retry.retry, { codes: [503], retries: 2, baseBackoffMs: 100, maxBackoffMs: 1000 });
      assert.equal(s.rows[0]!.counts.retried, 0, 'no retry without the HTTPRoute retry');
      for (const row of s.rows) assert.ok(row.counts.requests > 0);
      for (const f of ['table.md', 'table.csv', 'chart.svg']) assert.ok(existsSync(join(dir, 'route-retry', f)), f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
