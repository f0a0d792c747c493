import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { podNetworkSupport } from '../../lab/targets/local/pod-network.js';
import { ROOT } from '../helpers/proc.js';

// `check` on a service it was not written for (test/check/app: ESM, its own port variable, a TCP
// readiness probe, an HTTPRoute), as real processes, with real load and a real rolling restart.

const APP = join(ROOT, 'test/check/app');
const support = podNetworkSupport();
let dir: string;

function run(args: string[], path = process.env.PATH ?? '', onStderr: (text: string, pid: number) => void = () => {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/lab/cli.js', 'check', ...args], { cwd: ROOT, env: { PATH: path }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); onStderr(stderr, child.pid!); });
    const timer = setTimeout(() => child.kill('SIGINT'), 150_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Processes whose working directory is the app: pods the run left behind. */
function podsLeft(app = APP): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readlinkSync(`/proc/${p}/cwd`) === app; } catch { return false; }
  }).map(Number);
}

before(() => { dir = mkdtempSync(join(tmpdir(), 'check-local-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('check on the local target', () => {
  it('measures a foreign service through its Service and HTTPRoute, and leaves nothing running', async () => {
    const out = join(dir, 'ping');
    const r = await run(['--manifests', 'test/check/app/deploy', '--app-dir', 'test/check/app', '--route', 'GET:/ping', '--rate', '20', '--deploys', '1', '--max-failed', '1000', '--out', out]);
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
    assert.deepEqual(podsLeft(), []);
  });

  it('with a network namespace per pod, replicas that all bind 0.0.0.0 roll without a collision and leave no namespace behind', { skip: support.ok ? false : support.why }, async () => {
    const out = join(dir, 'wild-netns');
    const r = await run(['--manifests', 'test/check/app/deploy', '--app-dir', 'test/check/app', '--route', 'GET:/ping', '--rate', '20', '--deploys', '1', '--env', 'HOST=0.0.0.0', '--pod-network', 'netns', '--max-failed', '1000', '--out', out]);
    assert.equal(r.code, 0, r.stderr.slice(-3000) + r.stdout.slice(-1500));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(s.params.podNetwork, 'netns');
    assert.ok(s.windowCounts.ok > 0 && s.requests > 50, `requests ${s.requests}`);
    const note = (s.notes as string[]).find((n) => n.startsWith('pod network: each pod has its own network namespace')) ?? '';
    const block = /pods in 198\.18\.(\d+)\.0\/24/.exec(note)?.[1];
    assert.ok(block, note);
    const pods = readFileSync(join(out, 'events.json'), 'utf8');
    assert.match(pods, /"pod-created"[^}]*"ip 198\.18\./, 'pods got addresses on the bridge, not on loopback');
    assert.deepEqual(podsLeft(), []);
    // only this run's block: another lab may be running on the machine
    assert.deepEqual(readdirSync('/sys/class/net').filter((l) => new RegExp(`^dll${block}(br|p\\d+)$`).test(l)), [], 'no bridge or veth left');
  });

  it('runs a dependency from the same manifests: the counter reaches its redis Deployment by the Service name', { skip: support.ok ? false : support.why }, async () => {
    const out = join(dir, 'counter');
    const app = join(ROOT, 'test/check/app-redis');
    const r = await run(['--manifests', 'test/check/app-redis/deploy', '--app-dir', 'test/check/app-redis', '--deployment', 'counter', '--rate', '20', '--deploys', '1', '--max-failed', '1000', '--out', out]);
    assert.equal(r.code, 0, r.stderr.slice(-3000) + r.stdout.slice(-1500));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    // the counter answers 200 only with a reply from Redis (500 otherwise)
    assert.ok(s.windowCounts.ok > 0 && s.totalCounts.http_5xx_other === 0, JSON.stringify(s.totalCounts));
    const { events } = JSON.parse(readFileSync(join(out, 'events.json'), 'utf8')) as { events: Array<{ kind: string; deployment?: string; detail?: string }> };
    assert.ok(events.some((e) => e.kind === 'pod-ready' && e.deployment === 'redis'), 'the redis Deployment ran');
    assert.ok(!events.some((e) => e.kind === 'pod-exit' && e.deployment === 'counter' && /on its own/.test(e.detail ?? '')), 'no counter pod crashed for want of Redis');
    assert.deepEqual(podsLeft(app), []);
  });

  it('examples/naive with --max-failed 0 fails the gate end to end: exit 1, VERDICT: FAIL, failed requests in the window (issue 27)', async () => {
    const out = join(dir, 'naive');
    const app = join(ROOT, 'examples/naive');
    const r = await run(['--manifests', 'examples/naive/k8s', '--app-dir', 'examples/naive', '--route', 'GET:/orders*3', '--route', 'POST:/orders@examples/order.json', '--max-failed', '0', '--out', out]);
    assert.equal(r.code, 1, r.stderr.slice(-3000) + r.stdout.slice(-1000));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const failed = Object.entries(s.windowCounts as Record<string, number>).filter(([k]) => k !== 'ok').reduce((a, [, n]) => a + n, 0);
    assert.ok(failed > 0, JSON.stringify(s.windowCounts));
    assert.match(r.stdout, new RegExp(`^VERDICT: FAIL: ${failed} request\\(s\\) failed during the rollouts \\(--max-failed 0\\)$`, 'm'));
    assert.deepEqual(podsLeft(app), []);
  });

  it('a load generator that falls behind (the lab process stopped for 2 s): INCONCLUSIVE, exit 3, never PASS', async () => {
    const out = join(dir, 'stalled');
    let stopped = false;
    // SIGSTOP the lab itself once the baseline phase begins: arrivals due while it is stopped are dropped
    const r = await run(['--manifests', 'test/check/app/deploy', '--app-dir', 'test/check/app', '--route', 'GET:/ping', '--rate', '50', '--deploys', '1', '--max-failed', '1000', '--out', out], undefined, (text, pid) => {
      if (stopped || !/\bbaseline\b/.test(text)) return;
      stopped = true;
      process.kill(pid, 'SIGSTOP');
      setTimeout(() => process.kill(pid, 'SIGCONT'), 2000);
    });
    assert.ok(stopped, 'the baseline phase was never reported');
    assert.equal(r.code, 3, r.stderr.slice(-3000) + r.stdout.slice(-1000));
    assert.match(r.stdout, /^VERDICT: INCONCLUSIVE: the load generator could not start \d+ of the \d+ planned arrivals \(over 1 %\): the load was lighter than planned/m);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(s.coverage.complete, false);
    assert.ok(s.coverage.dropped > 0.01 * s.coverage.planned, JSON.stringify(s.coverage));
    assert.deepEqual(podsLeft(), []);
  });

  it('on a shared loopback network an app that binds 0.0.0.0 collides: exit 1 with what the app must do, nothing left running', async () => {
    const out = join(dir, 'wild');
    const r = await run(['--manifests', 'test/check/app/deploy', '--app-dir', 'test/check/app', '--route', 'GET:/ping', '--env', 'HOST=0.0.0.0', '--pod-network', 'loopback', '--out', out]);
    assert.equal(r.code, 1, r.stderr.slice(-3000));
    assert.match(r.stderr, /LAB_PORT_TAKEN: .*\n.*must listen on the address the lab passes in, the HOST \(or POD_IP\) environment variable/);
    assert.match(r.stderr, /--pod-network netns/);
    assert.ok(!existsSync(join(out, 'summary.json')));
    assert.deepEqual(podsLeft(), []);
  });

  it('on a machine without iproute2: --pod-network netns exits 2 naming the package; auto runs on loopback and says why', async () => {
    // a PATH with every tool check uses but `ip`
    const bin = join(dir, 'bin-without-ip');
    mkdirSync(bin);
    for (const tool of ['unshare', 'setpriv', 'nsenter', 'git', 'sh']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) symlinkSync(found, join(bin, tool));
    }
    const r = await run(['--manifests', 'test/check/app/deploy', '--app-dir', 'test/check/app', '--pod-network', 'netns', '--out', join(dir, 'no-ip')], bin);
    assert.equal(r.code, 2, r.stderr.slice(-3000));
    assert.match(r.stderr, /LAB_NO_POD_NETWORK: .*the `ip` command \(Debian\/Ubuntu package iproute2\) is not installed.*--pod-network loopback/);
    assert.ok(!existsSync(join(dir, 'no-ip', 'summary.json')));
    assert.deepEqual(podsLeft(), []);
    // auto falls back to loopback and says why in the results; the app binds the HOST it is given
    const out = join(dir, 'no-ip-auto');
    const auto = await run(['--manifests', 'test/check/app/deploy', '--app-dir', 'test/check/app', '--route', 'GET:/ping', '--rate', '20', '--deploys', '1', '--max-failed', '1000', '--out', out], bin);
    assert.equal(auto.code, 0, auto.stderr.slice(-3000));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(s.params.podNetwork, 'loopback');
    assert.ok(s.notes.some((n: string) => /^pod network: shared loopback, because the `ip` command .* is not installed/.test(n)), s.notes.join('\n'));
    assert.deepEqual(podsLeft(), []);
  });
});
