// The guardian experiment end to end on the local target (real pods, real signals, real Redis): every
// old service pod is forced out by its guardian (exit 70) with the held /slow named, before SIGKILL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');

test('guardian: exit 70 named the open /slow request, no SIGKILL; table, summary and evidence written', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-guardian-'));
  try {
    const r = spawnSync(process.execPath, ['dist/lab/cli.js', 'guardian', '--slow-ms', '15000', '--results-dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 220_000 });
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    const summary = JSON.parse(readFileSync(join(dir, 'guardian', 'summary.json'), 'utf8'));
    assert.equal(summary.rows.length, 3, 'one row per old service pod');
    for (const row of summary.rows) {
      assert.equal(row.exitCode, 70);
      assert.equal(row.sigkill, false);
      assert.ok(row.beforeSigkillMs > 0, `exited before SIGKILL: ${JSON.stringify(row)}`);
      assert.ok(row.openRequests.some((q: string) => q.startsWith('GET /slow?ms=15000')), JSON.stringify(row.openRequests));
      assert.ok(row.guardianAtMs >= 5500, `guardian at the 6 s deadline after SIGTERM, got ${row.guardianAtMs}`);
    }
    assert.ok(summary.verdicts.every((v: { held: boolean }) => v.held));
    assert.ok(existsSync(join(dir, 'guardian', 'table.md')));
    assert.match(readFileSync(join(dir, 'guardian', 'evidence.md'), 'utf8'), /guardian-fired deadlineMs=6000/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
