import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/proc.js';

// `check` on a service it was not written for (test/check/app: ESM, its own port variable, a TCP
// readiness probe, an HTTPRoute), as real processes, with real load and a real rolling restart.

const APP = join(ROOT, 'test/check/app');
let dir: string;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/lab/cli.js', 'check', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGINT'), 150_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Processes whose working directory is the app: pods the run left behind. */
function podsLeft(): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readlinkSync(`/proc/${p}/cwd`) === APP; } catch { return false; }
  }).map(Number);
}

before(() => { dir = mkdtempSync(join(tmpdir(), 'check-local-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('check on the local target', () => {
  it('measures a foreign service through its Service and HTTPRoute, and leaves nothing running', async () => {
    const out = join(dir, 'ping');
    const r = await run(['--manifests', 'test/check/app/deploy', '--app-dir', 'test/check/app', '--route', 'GET:/ping', '--rate', '20', '--deploys', '1', '--max-failed', '1000', '--out', out]);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(s.arm, 'check:ping');
    assert.ok(s.requests > 50, `requests ${s.requests}`);
    assert.deepEqual(s.params.paths, ['l4', 'ingress'], 'the HTTPRoute became the ingress path');
    assert.ok(s.windowCounts.ok > 0);
    assert.ok(s.notes.some((n: string) => n.startsWith('HTTPRoute/ping')));
    assert.match(r.stdout, /VERDICT: PASS: \d+ request\(s\) failed during the rollouts \(--max-failed 1000\)/);
    const ev = JSON.parse(readFileSync(join(out, 'evidence.json'), 'utf8'));
    assert.ok(ev.rolloutEvents.some((e: any) => e.kind === 'pod-terminating'));
    assert.ok(typeof ev.machine.cores === 'number' && ev.machine.loadavgBefore.length === 3);
    assert.equal(ev.doctor.available, true, ev.doctor.text);
    assert.ok(ev.doctor.findings.every((f: any) => f.file.endsWith('app.yaml')), 'doctor reviewed the same manifests');
    assert.match(readFileSync(join(out, 'table.md'), 'utf8'), /## doctor/);
    assert.ok(existsSync(join(out, 'timeline.svg')) && existsSync(join(out, 'table.md')));
    assert.deepEqual(podsLeft(), []);
  });

  it('an app that binds 0.0.0.0 collides: exit 1 with what the app must do, nothing left running', async () => {
    const out = join(dir, 'wild');
    const r = await run(['--manifests', 'test/check/app/deploy', '--app-dir', 'test/check/app', '--route', 'GET:/ping', '--env', 'HOST=0.0.0.0', '--out', out]);
    assert.equal(r.code, 1, r.stderr.slice(-3000));
    assert.match(r.stderr, /LAB_PORT_TAKEN: .*\n.*must listen on the address the lab passes in, the HOST \(or POD_IP\) environment variable/);
    assert.ok(!existsSync(join(out, 'summary.json')));
    assert.deepEqual(podsLeft(), []);
  });
});
