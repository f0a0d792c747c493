// triage on a stored run written the way the engine writes one: failures placed against rollout events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from '../helpers/proc.js';

const T0 = 1_800_000_000_000;

function storeRun(results: string, arm: string, levers: string[], failures: Array<[cls: string, path: string, dt: number]>) {
  const dir = join(results, 'runs', `20261201-100000-${arm}-rep1`);
  mkdirSync(dir, { recursive: true });
  const records = [
    { t_sched: T0 - 5000, t_start: T0 - 5000, t_end: T0 - 4990, route: 'fast', path: 'l4', status: 200, class: 'ok' },
    ...failures.map(([cls, path, dt]) => ({ t_sched: T0 + dt - 5, t_start: T0 + dt - 5, t_end: T0 + dt, route: 'fast', path, status: cls === 'http_502' ? 502 : 0, class: cls })),
  ];
  writeFileSync(join(dir, 'requests.jsonl.gz'), gzipSync(records.map((r) => JSON.stringify(r)).join('\n')));
  const events = [
    { t: T0, kind: 'rollout-start', deployment: 'service' },
    { t: T0 + 10, kind: 'pod-started', deployment: 'service', pod: 'service-new' },
    { t: T0 + 10, kind: 'sigterm', deployment: 'service', pod: 'service-old' },
    { t: T0 + 10_010, kind: 'sigkill', deployment: 'service', pod: 'service-old' },
  ];
  writeFileSync(join(dir, 'events.json'), JSON.stringify({ events, phases: [], readySamples: [] }));
  const summary = {
    arm, levers, target: 'local', rep: 1, command: `npm run lab -- ${arm}`, commit: 'abc1234', date: '2026-12-01T10:00:00.000Z',
    params: { batch: '2026-12-01T10:00:00.000Z' }, jobs: { duplicated: 0 }, minReadyPods: 3,
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
}

const triage = (args: string[]) => spawnSync(process.execPath, ['dist/lab/cli.js', 'triage', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

test('triage: 502s after a new pod started and resets at the SIGKILL are told apart and attributed', () => {
  const results = mkdtempSync(join(tmpdir(), 'triage-'));
  try {
    const early = Array.from({ length: 20 }, (_, i) => ['http_502', 'ingress', 1200 + i * 20] as [string, string, number]);
    const late = Array.from({ length: 10 }, (_, i) => ['reset', 'l4', 10_000 + i * 5] as [string, string, number]);
    storeRun(results, 'before', [], [...early, ...late]);
    const runbook = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');
    const r = triage(['--results-dir', results]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /triage: before \(1\/6\): 1 stored run/);
    const s = JSON.parse(readFileSync(join(results, 'triage/summary.json'), 'utf8'));
    const [a, b] = s.rows;
    assert.equal(a.sig.cls, 'http_502');
    assert.equal(a.sig.count, 20);
    assert.equal(a.sig.sinceRolloutMs.p50, 1390);
    assert.equal(a.sig.nearSigkillShare, 0);
    assert.equal(a.dx.lever, 'readiness');
    assert.match(a.dx.mode, /new pods routed before they listen/);
    assert.equal(b.sig.cls, 'reset');
    assert.equal(b.sig.nearSigkillShare, 1);
    assert.equal(b.dx.lever, 'pid1');
    for (const k of ['command', 'commit', 'date', 'node', 'cores', 'loadavgBefore', 'loadavgAfter']) assert.ok(k in s, k);
    assert.match(readFileSync(join(results, 'triage/table.md'), 'utf8'), /\| 502 · ingress \| 20 \(1\) \| 1\.4 s/);
    assert.match(readFileSync(join(results, 'triage/triage.svg'), 'utf8'), /^<svg /);
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
