import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { podNetworkSupport } from '../../lab/targets/local/pod-network.js';
import { freePort, podsLeft, runCheck, scratchWithApp } from './helpers.js';

// `check` on a service it was not written for (test/check/app: ESM, its own port variable, a TCP
// readiness probe, an HTTPRoute), as real processes, with real load and a real rolling restart.
// The other local cases are in local-netns.test.ts and local-gate.test.ts, so the runner can run them side by side.

const support = await podNetworkSupport();
const dirs: string[] = [];
/** A scratch dir and app copy per test: the tests run side by side and podsLeft() must see only the test's own pods. */
function scratch(port?: number): { dir: string; APP: string } {
  const { dir, app } = scratchWithApp('check-local-', { port });
  dirs.push(dir);
  return { dir, APP: app };
}
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

// each check mostly waits (phases, rollouts, grace periods), and each has its own address block; two at a
// time: three at once, beside the other check files, pushed the load to 13
describe('check on the local target', { concurrency: 2 }, () => {
  it('measures a foreign service through its Service and HTTPRoute, and leaves nothing running', async () => {
    const { dir, APP } = scratch();
    const out = join(dir, 'ping');
    const r = await runCheck(['--manifests', join(APP, 'deploy'), '--app-dir', APP, '--route', 'GET:/ping', '--rate', '20', '--deploys', '1', '--max-failed', '1000', '--out', out]);
    assert.equal(r.code, 0, r.stderr.slice(-3000) + r.stdout.slice(-1500));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(s.arm, 'check:ping');
    assert.ok(s.requests > 50, `requests ${s.requests}`);
    assert.deepEqual(s.params.paths, ['l4', 'ingress'], 'the HTTPRoute became the ingress path');
    assert.equal(s.params.podNetwork, support.ok ? 'netns' : 'loopback', 'auto: a namespace per pod wherever the machine allows it');
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
    assert.deepEqual(podsLeft(APP), []);
  });

  it('a load generator that falls behind (the lab process stopped for 2 s): INCONCLUSIVE, exit 3, never PASS', async () => {
    const { dir, APP } = scratch();
    const out = join(dir, 'stalled');
    let stopped = false;
    // SIGSTOP the lab itself once the baseline phase begins: arrivals due while it is stopped are dropped
    const r = await runCheck(['--manifests', join(APP, 'deploy'), '--app-dir', APP, '--route', 'GET:/ping', '--rate', '50', '--deploys', '1', '--max-failed', '1000', '--out', out], { fullPhases: true, onStderr: (text, pid) => {
      if (stopped || !/\bbaseline\b/.test(text)) return;
      stopped = true;
      process.kill(pid, 'SIGSTOP');
      setTimeout(() => process.kill(pid, 'SIGCONT'), 2000);
    } });
    assert.ok(stopped, 'the baseline phase was never reported');
    assert.equal(r.code, 3, r.stderr.slice(-3000) + r.stdout.slice(-1000));
    assert.match(r.stdout, /^VERDICT: INCONCLUSIVE: the load generator could not start \d+ of the \d+ planned arrivals \(over 1 %\): the load was lighter than planned/m);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(s.coverage.complete, false);
    assert.ok(s.coverage.dropped > 0.01 * s.coverage.planned, JSON.stringify(s.coverage));
    assert.deepEqual(podsLeft(APP), []);
  });

  it('on a shared loopback network an app that binds 0.0.0.0 collides: exit 1 with what the app must do, nothing left running', async () => {
    // not the app's 9000: while its pod holds 0.0.0.0:9000, a loopback run of the app beside it (local-netns) could not start a pod
    const { dir, APP } = scratch(await freePort());
    const out = join(dir, 'wild');
    const r = await runCheck(['--manifests', join(APP, 'deploy'), '--app-dir', APP, '--route', 'GET:/ping', '--env', 'HOST=0.0.0.0', '--pod-network', 'loopback', '--out', out]);
    assert.equal(r.code, 1, r.stderr.slice(-3000));
    assert.match(r.stderr, /LAB_PORT_TAKEN: .*\n.*must listen on the address the lab passes in, the HOST \(or POD_IP\) environment variable/);
    assert.match(r.stderr, /--pod-network netns/);
    assert.ok(!existsSync(join(out, 'summary.json')));
    assert.deepEqual(podsLeft(APP), []);
  });
});
