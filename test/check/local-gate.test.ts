import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/proc.js';
import { podsLeft, runCheck } from './helpers.js';

// `check`'s gate end to end on an app that loses requests: examples/naive fails it.

let dir: string;

before(() => { dir = mkdtempSync(join(tmpdir(), 'check-gate-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('check on the local target: the gate', () => {
  it('examples/naive with --max-failed 0 fails the gate end to end: exit 1, VERDICT: FAIL, failed requests in the window (issue 27)', async () => {
    const out = join(dir, 'naive');
    const app = join(ROOT, 'examples/naive');
    const r = await runCheck(['--manifests', 'examples/naive/k8s', '--app-dir', 'examples/naive', '--route', 'GET:/orders*3', '--route', 'POST:/orders@examples/order.json', '--deploys', '1', '--max-failed', '0', '--out', out]);
    assert.equal(r.code, 1, r.stderr.slice(-3000) + r.stdout.slice(-1000));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const failed = Object.entries(s.windowCounts as Record<string, number>).filter(([k]) => k !== 'ok').reduce((a, [, n]) => a + n, 0);
    assert.ok(failed > 0, JSON.stringify(s.windowCounts));
    assert.match(r.stdout, new RegExp(`^VERDICT: FAIL: ${failed} request\\(s\\) failed during the rollouts \\(--max-failed 0\\)$`, 'm'));
    assert.deepEqual(podsLeft(app), []);
  });
});
