import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regenerateReport } from '../../lab/report/index.js';
import { latestByArm, loadRuns } from '../../lab/report/load.js';
import { fakeSummary, storeRun } from './fixtures.js';

// Runs through ingress-nginx and through Envoy Gateway are different rows (an L7 column), never
// one group where the later batch hides the other; runs without params.l7 went through ingress-nginx.

test('the report keeps one row per target and L7 path, ingress-nginx first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-report-l7-'));
  try {
    storeRun(dir, '20261121-120000-before-rep1', fakeSummary('before', 1, { http_502: 40, batch: 'b1' }));
    const envoy = fakeSummary('before', 1, { batch: 'b2', command: 'npm run lab -- before --l7 envoy-gateway' });
    envoy.params.l7 = 'envoy-gateway';
    envoy.windowCounts.http_503 = 35;
    storeRun(dir, '20261121-120500-before-rep1', envoy);
    const latest = latestByArm(loadRuns(dir), ['before']);
    // the default path keeps its old key, which other readers (doctor, triage) look up
    assert.deepEqual([...latest.keys()].sort(), ['before|local', 'before|local|envoy-gateway']);
    regenerateReport(dir);
    const md = readFileSync(join(dir, 'before-after.md'), 'utf8');
    const rows = md.split('\n').filter((l) => l.startsWith('| `before`'));
    assert.equal(rows.length, 2, md);
    assert.match(rows[0]!, /^\| `before` \| before \(no levers\) \| local \| ingress-nginx \| 1 \|/);
    assert.match(rows[1]!, /^\| `before` \| before \(no levers\) \| local \| envoy-gateway \| 1 \|/);
    assert.match(md, /\| arm \| levers \| target \| L7 \| reps \|/);
    assert.match(readFileSync(join(dir, 'before-after.csv'), 'utf8'), /^arm,target,l7,reps,/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
