// --deregistration-s default: the tuned p99 when results/tune/recommendation.json exists, else the local target's delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDeregistration } from '../../lab/tools/doctor/evidence.js';
import { DEFAULT_PROPAGATION_DELAY_MS } from '../../lab/targets/local/cluster.js';

test('no recommendation file: the local target\'s modelled delay, and the output says so', () => {
  const root = mkdtempSync(join(tmpdir(), 'doctor-root-'));
  try {
    const d = defaultDeregistration(root);
    assert.equal(d.seconds, DEFAULT_PROPAGATION_DELAY_MS / 1000);
    assert.match(d.from, /local target's modelled propagation delay, as no results\/tune\/recommendation\.json exists/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a recommendation file: its deregistrationDelayP99Ms; a malformed one falls back', () => {
  const root = mkdtempSync(join(tmpdir(), 'doctor-root-'));
  try {
    mkdirSync(join(root, 'results/tune'), { recursive: true });
    writeFileSync(join(root, 'results/tune/recommendation.json'), JSON.stringify({ deregistrationDelayP99Ms: 2300 }));
    assert.deepEqual(defaultDeregistration(root), { seconds: 2.3, from: 'deregistrationDelayP99Ms of results/tune/recommendation.json' });
    writeFileSync(join(root, 'results/tune/recommendation.json'), '{"deregistrationDelayP99Ms": "soon"}');
    assert.equal(defaultDeregistration(root).seconds, DEFAULT_PROPAGATION_DELAY_MS / 1000);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
