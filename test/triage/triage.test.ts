// triage on a stored run written the way the engine writes one: each failure attributed by its moment's evidence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from '../helpers/proc.js';

const T0 = 1_800_000_000_000;

type Failure = [cls: string, path: string, start: number, end: number];

/**
 * A stored `before` run written the way the engine writes one, whose evidence shows one mechanism per
 * stretch of time: an old pod in the routing view until +1 s, killed at +10 s; a new pod listed from +1 s
 * that listens at +3.05 s; no pod serving over [+12 s, +13 s]; a second old pod whose listener closes at
 * +20.005 s while the view lists it until +21 s.
 */
function storeRun(results: string, failures: Failure[]) {
  const dir = join(results, 'runs', '20261201-100000-before-rep1');
  mkdirSync(dir, { recursive: true });
  const records = [
    { t_sched: T0 - 5000, t_start: T0 - 5000, t_end: T0 - 4990, route: 'fast', path: 'l4', status: 200, class: 'ok' },
    ...failures.map(([cls, path, s, e]) => ({ t_sched: T0 + s, t_start: T0 + s, t_end: T0 + e, route: 'fast', path, status: cls === 'http_502' ? 502 : cls === 'http_503' ? 503 : 0, class: cls })),
  ];
  writeFileSync(join(dir, 'requests.jsonl.gz'), gzipSync(records.map((r) => JSON.stringify(r)).join('\n')));
  const ev = (dt: number, kind: string, pod?: string, deployment?: string) => ({ t: T0 + dt, kind, ...(pod ? { pod } : {}), ...(deployment ? { deployment } : {}) });
  const events = [
    ev(-60_000, 'pod-started', 'service-old', 'service'),
    ev(-60_000, 'pod-started', 'service-old2', 'service'),
    ev(0, 'rollout-start', undefined, 'service'),
    ev(0, 'pod-terminating', 'service-old', 'service'), ev(0, 'sigterm', 'service-old', 'service'),
    ev(50, 'pod-started', 'service-new', 'service'),
    ev(1000, 'view-removed', 'service-old'), ev(1000, 'view-added', 'service-new'),
    ev(10_000, 'sigkill', 'service-old', 'service'),
    ev(20_000, 'pod-terminating', 'service-old2', 'service'), ev(20_000, 'sigterm', 'service-old2', 'service'),
    ev(21_000, 'view-removed', 'service-old2'),
  ];
  const servingSamples = Array.from({ length: 150 }, (_, i) => ({ t: T0 + i * 200, serving: { service: i * 200 >= 12_000 && i * 200 <= 13_000 ? 0 : 1 } }));
  writeFileSync(join(dir, 'events.json'), JSON.stringify({ events, phases: [], readySamples: [], servingSamples }));
  const closed = { pod: 'service-old2', role: 'service', steps: [{ step: 'listener closed', at: 5, detail: '' }], lines: [], omittedLines: 0, verdict: '' };
  writeFileSync(join(dir, 'evidence.json'), JSON.stringify({ pods: [closed], started: [{ pod: 'service-new', readyMs: 0, listeningMs: 3000 }] }));
  const summary = {
    arm: 'before', levers: [], target: 'local', rep: 1, command: 'npm run lab -- before', commit: 'abc1234def', date: '2026-12-01T10:00:00.000Z',
    params: { batch: '2026-12-01T10:00:00.000Z' }, window: { start: T0, end: T0 + 11_000 }, jobs: { duplicated: 0 }, minReadyPods: 3,
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
}

const triage = (args: string[]) => spawnSync(process.execPath, ['dist/lab/cli.js', 'triage', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

test('triage: each failed request is attributed to the mechanism its moment shows, counted as one kind of number', () => {
  const results = mkdtempSync(join(tmpdir(), 'triage-'));
  try {
    const many = (n: number, f: (i: number) => Failure) => Array.from({ length: n }, (_, i) => f(i));
    storeRun(results, [
      ...many(20, (i) => ['http_502', 'ingress', 1200 + i * 50, 1210 + i * 50]), // a listed new pod does not listen yet
      ...many(10, (i) => ['reset', 'l4', 9000, 10_000 + i * 5]), // open at the SIGKILL
      ...many(6, (i) => ['refused', 'l4', 12_100 + i * 100, 12_105 + i * 100]), // no pod serving
      ...many(4, (i) => ['refused', 'l4', 20_200 + i * 100, 20_205 + i * 100]), // listed after its listener closed
      ...many(2, (i) => ['reset', 'l4', 24_000, 25_000 + i]), // closed by the server, no SIGKILL near
    ]);
    const runbook = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');
    const r = triage(['--results-dir', results]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /triage: before \(1\/6\): 1 stored run/);
    const s = JSON.parse(readFileSync(join(results, 'triage/summary.json'), 'utf8'));
    const by = Object.fromEntries(s.rows.map((x: { mechanism: string; failed: number }) => [x.mechanism, x.failed]));
    assert.deepEqual(by, { 'not-listening': 20, sigkill: 10, outage: 6, closed: 4, 'keepalive-close': 2 });
    const nl = s.rows.find((x: { mechanism: string }) => x.mechanism === 'not-listening');
    assert.equal(nl.inWindow, 20);
    assert.equal(s.rows.find((x: { mechanism: string }) => x.mechanism === 'closed').inWindow, 0, 'after the deploy window');
    assert.equal(nl.sinceRolloutMs.p50, 1685);
    const table = readFileSync(join(results, 'triage/table.md'), 'utf8');
    assert.match(table, /whole run: first request to last, summed over the runs/);
    assert.match(table, /\| \[`before`\]\([^)]*\) \(1\) \| routed to a pod not yet listening \| 20 \| 20 \| 20 × 502 \| 47\.6 % \| 1\.7 s/);
    assert.match(table, /no pod serving \(outage\) \| 6 \| 0 \| 6 × refused/);
    assert.match(readFileSync(join(results, 'triage/triage.svg'), 'utf8'), /^<svg /);
    // regenerating from the same runs changes nothing
    const before = ['summary.json', 'table.md', 'triage.svg'].map((f) => readFileSync(join(results, 'triage', f), 'utf8'));
    assert.equal(triage(['--results-dir', results]).status, 0);
    assert.deepEqual(['summary.json', 'table.md', 'triage.svg'].map((f) => readFileSync(join(results, 'triage', f), 'utf8')), before);
    assert.equal(readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8'), runbook, 'another results dir never rewrites the runbook');
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});

test('triage: no stored runs exits 1 naming the fix; a bad option exits 2 with the usage', () => {
  const results = mkdtempSync(join(tmpdir(), 'triage-'));
  try {
    const none = triage(['--results-dir', results]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no stored local runs of before, without-pid1/);
    const bad = triage(['--bogus']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /LAB_BAD_OPTION: .*unknown option "--bogus"/);
    assert.match(bad.stderr, /usage: npm run lab -- triage/);
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
});
