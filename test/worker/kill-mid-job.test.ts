import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../helpers/proc.js';

const SCRIPT = 'dist/lab/experiments/kill-mid-job/main.js';

test('kill-mid-job rejects a bad option with LAB_BAD_OPTION, exit 1, and writes nothing', async () => {
  const out = mkdtempSync(join(tmpdir(), 'kmj-bad-'));
  try {
    const p = startNode(SCRIPT, {}, ['--modes', 'on,sideways', '--out', join(out, 'r')]);
    const exit = await p.exited;
    assert.equal(exit.code, 1);
    assert.match(p.stderr(), /LAB_BAD_OPTION.*"sideways".*on, off-pid1, off-none/);
    assert.equal(existsSync(join(out, 'r')), false);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('kill-mid-job, small run with requeue on: real kills, 0 lost, 0 duplicated, results written', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'kmj-'));
  try {
    const p = startNode(SCRIPT, {}, ['--modes', 'on', '--jobs', '40', '--rate', '20', '--kills', '2', '--terms', '1', '--out', out]);
    const exit = await p.exited;
    assert.equal(exit.code, 0, p.stderr().slice(-3000));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const on = s.modes[0];
    assert.equal(on.accepted, 40);
    assert.equal(on.audit.lost, 0);
    assert.equal(on.audit.duplicated, 0);
    assert.equal(on.signals.length, 3);
    assert.ok(on.deliveries.redelivered >= 1, 'the kills did redeliver jobs');
    assert.match(s.commit, /^([0-9a-f]{40}(-dirty)?|unknown)$/);
    assert.ok(existsSync(join(out, 'table.md')) && existsSync(join(out, 'table.csv')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
