// The idle-close experiment's counting and rendering, on hand-made records and pod logs whose every
// field is known: raw vs seen failures by method, the race's signature, the pods' drain counts, and
// a table that is a function of summary.json alone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { countMethods, drainTotals } from '../../lab/experiments/idle-close/count.js';
import { idleCloseCsv, idleCloseMarkdown, idleCloseVerdict, type IdleCloseSummary } from '../../lab/experiments/idle-close/report.js';
import type { RequestRecord } from '../../loadtest/records.js';

const methodOf = new Map([['fast', 'GET'], ['jobs', 'POST']]);
const rec = (t: number, route: string, extra: Partial<RequestRecord> = {}): RequestRecord => ({ t_sched: t, t_start: t, t_end: t + 5, route, path: 'l4', status: 200, class: 'ok', ...extra });

test('by method: raw and seen failures, resends, and the race\'s signature (reused, no response byte)', () => {
  const records = [
    rec(1000, 'fast'),
    rec(2100, 'fast', { reused: true, respByte: false, retries: 1, rawClass: 'reset' }), // Go resent it: raw, not seen
    rec(2200, 'jobs', { reused: true, respByte: false, class: 'reset', status: 0 }), // a POST on a closing socket
    rec(2300, 'fast', { reused: false, respByte: false, class: 'refused', status: 0 }), // fresh connection: not the race
    rec(5000, 'jobs', { reused: true, respByte: true, class: 'reset', status: 200 }), // cut mid-response, outside the window
  ];
  const window = { start: 2000, end: 3000 };
  assert.deepEqual(countMethods(records, methodOf, window, 'total'), [
    { method: 'GET', requests: 3, raw: 2, seen: 1, resent: 1, race: 1 },
    { method: 'POST', requests: 2, raw: 2, seen: 2, resent: 0, race: 1 },
  ]);
  assert.deepEqual(countMethods(records, methodOf, window, 'window').map((r) => r.requests), [2, 1]);
});

test('drain totals: the service pods\' connections-drained and exit lines, nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idle-close-'));
  try {
    const line = (t: string, o: object) => `${t} stdout ${JSON.stringify({ level: 30, time: Date.parse(t), ...o })}`;
    writeFileSync(join(dir, 'service-a.log'), [line('2026-12-02T10:00:00.000Z', { event: 'connections-drained', idle: 3, afterResponse: 5, forced: 0 }), line('2026-12-02T10:00:01.000Z', { event: 'exit', exitCode: 0, shutdownMs: 4100 })].join('\n') + '\n');
    writeFileSync(join(dir, 'service-b.log'), [line('2026-12-02T10:00:00.000Z', { event: 'connections-drained', idle: 1, afterResponse: 2, forced: 1 })].join('\n') + '\n');
    writeFileSync(join(dir, 'worker-a.log'), line('2026-12-02T10:00:00.000Z', { event: 'connections-drained', idle: 99, afterResponse: 99, forced: 99 }) + '\n');
    assert.deepEqual(drainTotals(dir), { pods: 2, idle: 4, afterResponse: 7, forced: 1, shutdownMs: [4100] });
    assert.deepEqual(drainTotals(join(dir, 'absent')), { pods: 0, idle: 0, afterResponse: 0, forced: 0, shutdownMs: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function summary(raceA: number, raceB: number): IdleCloseSummary {
  const run = (arm: string, race: number) => ({
    arm, rep: 1, rate: 800, client: 'node', sent: 1000, dropped: 0, deployDurationMs: 12000, windowMs: 40000,
    window: [{ method: 'GET', requests: 500, raw: race, seen: race, resent: 0, race }], total: [{ method: 'GET', requests: 1000, raw: race, seen: race, resent: 0, race }],
    drain: { pods: 3, idle: 10, afterResponse: 20, forced: 0, shutdownMs: [4000] },
  });
  return {
    experiment: 'idle-close', command: 'npm run lab -- idle-close', target: 'local', commit: 'c0ffee', date: '2026-12-02T00:00:00.000Z',
    params: { arms: ['after', 'after-idle-window'], rate: 800, deploys: 3, reps: 1, client: 'node', phases: { deploys: 3 }, mix: ['GET /fast ×1'], runArtifacts: '.lab/idle-close/x', machine: { cores: 2, node: 'v20', os: 'linux', loadavgBefore: [1, 1, 1], loadavgAfter: [1, 1, 1] } },
    runs: [run('after', raceA), run('after-idle-window', raceB)],
  };
}

test('the verdict claims a difference only beyond the counts\' own noise; the default stays otherwise', () => {
  assert.match(idleCloseVerdict(summary(30, 2)), /after-idle-window has fewer raw failures than after, beyond the counts' own noise/);
  assert.match(idleCloseVerdict(summary(3, 1)), /do not differ beyond their own noise.*IDLE_CLOSE stays `jitter` by default/);
  assert.match(idleCloseVerdict(summary(1, 30)), /after-idle-window has more raw failures than after/);
});

test('table and CSV are a function of summary.json alone', () => {
  const s = summary(10, 0);
  const again = JSON.parse(JSON.stringify(s)) as IdleCloseSummary;
  assert.equal(idleCloseMarkdown(again), idleCloseMarkdown(s));
  assert.equal(idleCloseCsv(again), idleCloseCsv(s));
  assert.match(idleCloseMarkdown(s), /\| after \| 1 \| 1000 \| 10 \| GET 10 \| 10 \|/);
});
