import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { podNetworkSupport } from '../../lab/targets/local/pod-network.js';
import { podsLeft, runCheck, scratchWithApp } from './helpers.js';

// `check` with a network namespace per pod: wildcard binds, a dependency reached by its Service
// name, and what happens on a machine without iproute2.

const support = await podNetworkSupport();
const dirs: string[] = [];
/** A scratch dir and app copy per test: the tests run side by side and podsLeft() must see only the test's own pods. */
function scratch(from?: string): { dir: string; APP: string } {
  const { dir, app } = scratchWithApp('check-netns-', { from });
  dirs.push(dir);
  return { dir, APP: app };
}
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

// each check mostly waits (phases, rollouts, grace periods), and each has its own address block; two at a
// time: three at once, beside the other check files, pushed the load to 13
describe('check on the local target: pod networks', { concurrency: 2 }, () => {
  it('with a network namespace per pod, replicas that all bind 0.0.0.0 roll without a collision and leave no namespace behind', { skip: support.ok ? false : support.why }, async () => {
    const { dir, APP } = scratch();
    const out = join(dir, 'wild-netns');
    const r = await runCheck(['--manifests', join(APP, 'deploy'), '--app-dir', APP, '--route', 'GET:/ping', '--rate', '20', '--deploys', '1', '--env', 'HOST=0.0.0.0', '--pod-network', 'netns', '--max-failed', '1000', '--out', out]);
    assert.equal(r.code, 0, r.stderr.slice(-3000) + r.stdout.slice(-1500));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(s.params.podNetwork, 'netns');
    assert.ok(s.windowCounts.ok > 0 && s.requests > 50, `requests ${s.requests}`);
    const note = (s.notes as string[]).find((n) => n.startsWith('pod network: each pod has its own network namespace')) ?? '';
    const block = /pods in 198\.18\.(\d+)\.0\/24/.exec(note)?.[1];
    assert.ok(block, note);
    const pods = readFileSync(join(out, 'events.json'), 'utf8');
    assert.match(pods, /"pod-created"[^}]*"ip 198\.18\./, 'pods got addresses on the bridge, not on loopback');
    assert.deepEqual(podsLeft(APP), []);
    // only this run's block: another lab may be running on the machine
    assert.deepEqual(readdirSync('/sys/class/net').filter((l) => new RegExp(`^dll${block}(br|p\\d+)$`).test(l)), [], 'no bridge or veth left');
  });

  it('runs a dependency from the same manifests: the counter reaches its redis Deployment by the Service name', { skip: support.ok ? false : support.why }, async () => {
    const { dir, APP: app } = scratch('test/check/app-redis');
    const out = join(dir, 'counter');
    const r = await runCheck(['--manifests', join(app, 'deploy'), '--app-dir', app, '--deployment', 'counter', '--rate', '20', '--deploys', '1', '--max-failed', '1000', '--out', out]);
    assert.equal(r.code, 0, r.stderr.slice(-3000) + r.stdout.slice(-1500));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    // the counter answers 200 only with a reply from Redis (500 otherwise)
    assert.ok(s.windowCounts.ok > 0 && s.totalCounts.http_5xx_other === 0, JSON.stringify(s.totalCounts));
    const { events } = JSON.parse(readFileSync(join(out, 'events.json'), 'utf8')) as { events: Array<{ kind: string; deployment?: string; detail?: string }> };
    assert.ok(events.some((e) => e.kind === 'pod-ready' && e.deployment === 'redis'), 'the redis Deployment ran');
    assert.ok(!events.some((e) => e.kind === 'pod-exit' && e.deployment === 'counter' && /on its own/.test(e.detail ?? '')), 'no counter pod crashed for want of Redis');
    assert.deepEqual(podsLeft(app), []);
  });

  it('on a machine without iproute2: --pod-network netns exits 2 naming the package; auto runs on loopback and says why', async () => {
    const { dir, APP } = scratch();
    // a PATH with every tool check uses but `ip`
    const bin = join(dir, 'bin-without-ip');
    mkdirSync(bin);
    for (const tool of ['unshare', 'setpriv', 'nsenter', 'git', 'sh']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) symlinkSync(found, join(bin, tool));
    }
    const r = await runCheck(['--manifests', join(APP, 'deploy'), '--app-dir', APP, '--pod-network', 'netns', '--out', join(dir, 'no-ip')], { path: bin });
    assert.equal(r.code, 2, r.stderr.slice(-3000));
    assert.match(r.stderr, /LAB_NO_POD_NETWORK: .*the `ip` command \(Debian\/Ubuntu package iproute2\) is not installed.*--pod-network loopback/);
    assert.ok(!existsSync(join(dir, 'no-ip', 'summary.json')));
    assert.deepEqual(podsLeft(APP), []);
    // auto falls back to loopback and says why in the results; the app binds the HOST it is given
    const out = join(dir, 'no-ip-auto');
    const auto = await runCheck(['--manifests', join(APP, 'deploy'), '--app-dir', APP, '--route', 'GET:/ping', '--rate', '20', '--deploys', '1', '--max-failed', '1000', '--out', out], { path: bin });
    assert.equal(auto.code, 0, auto.stderr.slice(-3000));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(s.params.podNetwork, 'loopback');
    assert.ok(s.notes.some((n: string) => /^pod network: shared loopback, because the `ip` command .* is not installed/.test(n)), s.notes.join('\n'));
    assert.deepEqual(podsLeft(APP), []);
  });
});
