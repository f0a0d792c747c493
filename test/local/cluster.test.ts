import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { AddressBlock } from '../../lab/targets/local/addresses.js';
import { LocalCluster } from '../../lab/targets/local/cluster.js';
import { startNode } from '../helpers/proc.js';
import { alive, deployment, REDIS_OBJECTS, ROOT, workspace } from './helpers.js';

// The cluster as a whole: Redis from the manifest, Service DNS names, PID namespaces, ConfigMap
// updates, bad input, and that nothing it started outlives it, however the lab ends.

const code = (c: string, detail: RegExp) => (e: Error & { code?: string }) => e.code === c && detail.test(e.message);

function redisPing(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port) }, () => s.write('PING\r\n'));
    s.once('data', (b) => { resolve(b.toString().trim()); s.destroy(); });
    s.once('error', reject);
    setTimeout(() => { s.destroy(); reject(new Error('no PONG')); }, 3000).unref();
  });
}

async function waitDead(pids: number[], ms = 5000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 20));
  return pids.filter(alive);
}

const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'service-config' }, data: { 'config.yaml': 'v: 1\n' } };

describe('LocalCluster', () => {
  test('Redis from the manifest, DNS name rewritten, PID 1 in its own namespace, ConfigMap update, close() leaves nothing', async () => {
    const ws = workspace([...REDIS_OBJECTS, ...deployment({ replicas: 2, readiness: true, env: { REDIS_URL: 'redis://redis:6379', CONFIG_FILE: '/etc/lab/config.yaml' }, configMap: 'service-config' }), CONFIG_MAP]);
    const cluster = await LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, propagationDelayMs: 0, startTimeoutMs: 30_000 });
    let pids: number[] = [];
    try {
      assert.equal(await redisPing(cluster.redisUrl), '+PONG');
      const [pod] = cluster.readyPods('service');
      const info = await (await fetch(`${cluster.serviceUrlFor(pod!)}/env`)).json() as { pid: number; cwd: string; env: Record<string, string> };
      if (cluster.isolation.mode !== 'fallback') assert.equal(info.pid, 1, 'the command is PID 1 of its namespace');
      assert.equal(info.cwd, ROOT);
      assert.equal(info.env.REDIS_URL, cluster.redisUrl);
      assert.equal(readFileSync(info.env.CONFIG_FILE!, 'utf8'), 'v: 1\n');
      const before = readlinkSync(`${dirname(info.env.CONFIG_FILE!)}/..data`);

      assert.equal(await cluster.updateConfigMap('service-config', { 'config.yaml': 'v: 2\n' }), 2);
      assert.equal(readFileSync(info.env.CONFIG_FILE!, 'utf8'), 'v: 2\n');
      assert.notEqual(readlinkSync(`${dirname(info.env.CONFIG_FILE!)}/..data`), before);

      await assert.rejects(cluster.updateConfigMap('nope', {}), code('LAB_UNKNOWN_OBJECT', /ConfigMap\/nope/));
      await assert.rejects(cluster.rolloutRestart(['nope']), code('LAB_UNKNOWN_OBJECT', /Deployment\/nope/));
      assert.throws(() => cluster.l4Connect('nope'), code('LAB_UNKNOWN_OBJECT', /Service\/nope/));
      pids = cluster.hostPids();
      assert.equal(pids.length, 6, 'unshare + PID 1 for redis and two service pods');
    } finally {
      const closing = cluster.close();
      assert.equal(cluster.close(), closing, 'close() is memoised');
      await closing;
      ws.remove();
    }
    await assert.rejects(cluster.rolloutRestart(), code('LAB_CLUSTER_CLOSED', /rolloutRestart: the cluster is /), 'a closed cluster says so, not LAB_BAD_OPTION');
    // Not even a zombie: close() lets unshare reap its PID 1 before it goes itself.
    assert.deepEqual(pids.filter((p) => existsSync(`/proc/${p}`)), [], 'every pod process is gone when close() resolves');
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.doesNotMatch(ps, new RegExp(`redis-server --bind 127\\.${cluster.redisUrl.split('.')[1]}\\.`), 'no redis-server left');
  });

  test('a port already taken on a pod address is LAB_PORT_TAKEN naming address:port, and nothing is left running', async () => {
    const probe = AddressBlock.acquire();
    const block = probe.block;
    probe.release();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(3000, `127.${block}.1.1`, r));
    const ws = workspace(deployment({ replicas: 2 }));
    const started: number[] = [];
    try {
      await assert.rejects(
        LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, network: block, startTimeoutMs: 20_000, onEvent: (e) => {
          const m = /^pid1 (\d+)/.exec(e.kind === 'pod-started' ? e.detail ?? '' : '');
          if (m) started.push(Number(m[1]));
        } }),
        code('LAB_PORT_TAKEN', new RegExp(`127\\.${block}\\.1\\.1:3000`)),
      );
      assert.deepEqual(await waitDead(started), []);
      // The block was released: it can be taken again.
      AddressBlock.acquire(block).release();
    } finally {
      squatter.close();
      ws.remove();
    }
  });

  test('bad options fail before anything starts', async () => {
    const ws = workspace(deployment({}));
    try {
      await assert.rejects(LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, propagationDelayMs: -5 }), code('LAB_BAD_OPTION', /propagationDelayMs=-5/));
      await assert.rejects(LocalCluster.start({ manifestFile: `${ws.dir}/missing.yaml`, runDir: ws.runDir }), code('LAB_MISSING_MANIFEST', /missing\.yaml/));
    } finally {
      ws.remove();
    }
  });

  test('a pod restart that fails fatally, then a rollout restart: it rejects with that error, and no rejection goes unhandled', async () => {
    const ws = workspace(deployment({ replicas: 1, readiness: true }));
    let fatal: () => void = () => undefined;
    const fatalSeen = new Promise<void>((r) => { fatal = r; });
    const cluster = await LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, propagationDelayMs: 0, startTimeoutMs: 30_000, podNetwork: 'loopback',
      onEvent: (e) => { if (e.kind === 'note' && e.detail?.startsWith('fatal:')) fatal(); } });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const squatter = createServer();
    try {
      const [pod] = cluster.readyPods('service');
      // the pod's own address taken while its container is down: the restart fails LAB_PORT_TAKEN, fatal for the cluster
      const pid1 = pod!.pid1!;
      process.kill(pid1, 'SIGKILL');
      await waitDead([pid1]);
      // a connection of the dead pod's (a probe's, closing) can hold the address for a moment after it exits
      for (let tries = 0; ; tries++) {
        const err = await new Promise<NodeJS.ErrnoException | undefined>((res) => { squatter.once('error', res); squatter.listen(3000, pod!.ip, () => res(undefined)); });
        if (!err) break;
        if (err.code !== 'EADDRINUSE' || tries >= 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
      await fatalSeen;
      await assert.rejects(cluster.rolloutRestart(['service']), code('LAB_PORT_TAKEN', /already in use/));
      await cluster.close();
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, [], 'the rollout waiter failed by close() was handled');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      squatter.close();
      await cluster.close();
      ws.remove();
    }
  });

  // Both forms: node as PID 1 (exec) and sh as PID 1 (shell), each Ready (so done writing its start-up
  // line: a pod still starting died of EPIPE on its stdout and hid the leak). The pods drop to another
  // uid after unshare --kill-child armed their death signal, and that credential change disarms it:
  // a SIGKILL of the lab left them running until the user switch re-armed it (container-process.ts).
  for (const [sig, form] of [['SIGTERM', 'shell'], ['SIGKILL', 'shell'], ['SIGKILL', 'exec']] as const) {
    test(`the lab process dying by ${sig} takes every pod with it (${form} form)`, async () => {
      const ws = workspace(deployment({ replicas: 2, form, readiness: true }));
      const lab = startNode('test/local/fixtures/lab-runner.mjs', {}, [ws.manifestFile, ws.runDir]);
      try {
        const line = await lab.waitFor((l) => l.event === 'started', 20_000);
        const pids = line.pids as number[];
        assert.equal(pids.length, 4);
        assert.deepEqual(pids.filter((p) => !alive(p)), []);
        lab.child.kill(sig);
        await lab.exited;
        assert.deepEqual(await waitDead(pids), [], `${sig}: no pod outlived the lab`);
      } finally {
        lab.child.kill('SIGKILL');
        ws.remove();
      }
    });
  }
});
