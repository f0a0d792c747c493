import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeAtomicVolume } from '../../lab/targets/local/configmap-volume.js';

test('ConfigMap volume: kubelet atomic-writer layout, swapped by one rename, stale keys removed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-cm-'));
  try {
    await writeAtomicVolume(dir, { 'config.yaml': 'v: 1\n', 'other.txt': 'x' });
    const first = readlinkSync(join(dir, '..data'));
    assert.match(first, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/);
    assert.equal(readlinkSync(join(dir, 'config.yaml')), '..data/config.yaml');
    assert.ok(lstatSync(join(dir, 'config.yaml')).isSymbolicLink());
    assert.equal(readFileSync(join(dir, 'config.yaml'), 'utf8'), 'v: 1\n');

    await writeAtomicVolume(dir, { 'config.yaml': 'v: 2\n' });
    const second = readlinkSync(join(dir, '..data'));
    assert.notEqual(second, first);
    assert.equal(readFileSync(join(dir, 'config.yaml'), 'utf8'), 'v: 2\n');
    const entries = readdirSync(dir).sort();
    assert.deepEqual(entries, [second, '..data', 'config.yaml'].sort(), 'old payload dir and removed key are gone, no ..data_tmp left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
