import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { AddressBlock, blockInUse } from '../../lab/targets/local/addresses.js';
import { podNetworkSupport, PodNetwork } from '../../lab/targets/local/pod-network.js';

// Real network namespaces, veth pairs and a bridge (root or CAP_NET_ADMIN). Where the machine does
// not allow them the tests are skipped with the reason, and check falls back to loopback mode
// (test/check/local.test.ts covers that path).

const support = await podNetworkSupport();
const skip = support.ok ? false : `no per-pod network here: ${support.why}`;

/** A server on 0.0.0.0:9000 inside the namespace, answering with `name`. */
function podServer(prefix: string[], name: string): ChildProcess {
  const code = `require('node:http').createServer((q, s) => s.end(${JSON.stringify(name)})).listen(9000, '0.0.0.0', () => console.log('up'))`;
  return spawn(prefix[0]!, [...prefix.slice(1), process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

const run = promisify(execFile);

const up = (c: ChildProcess) => new Promise<void>((resolve, reject) => {
  c.stdout!.once('data', () => resolve());
  c.once('exit', (code) => reject(new Error(`pod server exited ${code}`)));
});

const leftovers = (block: number) => ({
  namespaces: existsSync('/run/netns') ? readdirSync('/run/netns').filter((f) => f.startsWith(`dll-${block}-`)) : [],
  links: readdirSync('/sys/class/net').filter((l) => l.startsWith(`dll${block}`)).sort(),
});

describe('per-pod network namespaces', { skip }, () => {
  const blocks: AddressBlock[] = [];
  const procs: ChildProcess[] = [];
  after(() => { for (const p of procs) p.kill('SIGKILL'); for (const b of blocks) b.release(); });

  test('two pods both bind 0.0.0.0:9000, each answers at its own address, and both reach a Service address on the bridge', async () => {
    const block = AddressBlock.acquire();
    blocks.push(block);
    const net = await PodNetwork.create(block.block, blockInUse);
    try {
      const a = net.podAddress();
      const b = net.podAddress();
      const pa = podServer(await net.attach(a), 'pod-a');
      const pb = podServer(await net.attach(b), 'pod-b');
      procs.push(pa, pb);
      await Promise.all([up(pa), up(pb)]);
      for (const [ip, name] of [[a, 'pod-a'], [b, 'pod-b']]) {
        const res = await fetch(`http://${ip}:9000/`, { signal: AbortSignal.timeout(5000) });
        assert.equal(await res.text(), name);
      }
      // a Service address: the lab listens on it in the root namespace; a pod dials it through its default route
      const svc = await net.serviceAddress();
      const server = createServer((s) => s.end('from the node\n'));
      await new Promise<void>((r) => server.listen(8080, svc, r));
      const inPod = await run('nsenter', [`--net=/run/netns/dll-${block.block}-1`, process.execPath, '-e',
        `require('node:net').connect(8080, ${JSON.stringify(svc)}).on('data', (d) => process.stdout.write(d))`], { timeout: 5000 });
      server.close();
      assert.equal(inPod.stdout, 'from the node\n', inPod.stderr);
      pa.kill('SIGKILL');
      await net.detach(a);
      assert.deepEqual(leftovers(block.block), { namespaces: [`dll-${block.block}-2`], links: [`dll${block.block}br`, `dll${block.block}p2`] }, 'detach removed the first pod\'s namespace and veth only');
    } finally {
      net.close();
    }
    assert.deepEqual(leftovers(block.block), { namespaces: [], links: [] });
  });

  test('a run killed before close leaves namespaces and a bridge; the next run on that block removes them first', async () => {
    const block = AddressBlock.acquire();
    blocks.push(block);
    const crashed = await PodNetwork.create(block.block, blockInUse);
    await crashed.attach(crashed.podAddress());
    assert.deepEqual(leftovers(block.block), { namespaces: [`dll-${block.block}-1`], links: [`dll${block.block}br`, `dll${block.block}p1`] });
    const next = await PodNetwork.create(block.block, blockInUse); // would fail on "File exists" without the cleanup
    try {
      assert.deepEqual(leftovers(block.block), { namespaces: [], links: [`dll${block.block}br`] });
      assert.equal(next.podAddress(), `198.18.${block.block}.1`);
    } finally {
      next.close();
    }
    assert.deepEqual(leftovers(block.block), { namespaces: [], links: [] });
  });

  test('leftovers on a block no running lab holds are removed by a run on any other block; a held block is left alone', async () => {
    const dead = AddressBlock.acquire();
    const crashed = await PodNetwork.create(dead.block, blockInUse);
    await crashed.attach(crashed.podAddress());
    const held = AddressBlock.acquire();
    blocks.push(held);
    const running = await PodNetwork.create(held.block, blockInUse);
    await running.attach(running.podAddress());
    dead.release(); // its lab "died" without closing its network
    const mine = AddressBlock.acquire();
    blocks.push(mine);
    const next = await PodNetwork.create(mine.block, blockInUse);
    try {
      assert.deepEqual(leftovers(dead.block), { namespaces: [], links: [] }, 'the dead run\'s bridge, veth and namespace are gone');
      assert.deepEqual(leftovers(held.block).links, [`dll${held.block}br`, `dll${held.block}p1`], 'the running lab keeps its network');
    } finally {
      next.close();
      running.close();
    }
  });
});
