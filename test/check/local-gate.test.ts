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
    assert.match(r.stdout, new RegExp(`^VERDICT: FAIL: ${failed} request\\(s\\) failed during the rollouts( \\(\\d+ of them keep-alive races, \\d+ the rollout's\\))? \\(--max-failed 0\\)$`, 'm'));
    // Node's old 5 s keep-alive: check measured the app's idle close, counted the races apart and says how many
    const k = s.params.keepAliveRaces;
    if (Number(process.versions.node.split('.')[0]) < 26) assert.ok(k.closeMs > 4000 && k.closeMs < 8000, JSON.stringify(k));
    assert.ok(k.run.races <= k.run.failedTries && k.window.answered <= failed, JSON.stringify(k));
    assert.match(readFileSync(join(out, 'table.md'), 'utf8'), /\| keep-alive races in the deploy window \| \d+ \(\d+ answered 502 to the client, \d+ retried by the proxy\) of \d+ failed upstream tries \|/);
    assert.deepEqual(podsLeft(app), []);
  });
});
