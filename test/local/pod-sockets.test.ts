import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { listeningSockets, processTree } from '../../lab/targets/local/pod-sockets.js';

// The ports a pod's process tree listens on, read from the kernel's tables: a real child process
// (a shell that starts node, as `sh -c "node …"` does) listening on IPv4 and IPv6.

describe('listening sockets of a process tree', () => {
  it('finds the grandchild\'s IPv4 and IPv6 listeners and nothing of other processes', { timeout: 20_000 }, async () => {
    const script = "const n=require('node:net');const a=n.createServer().listen(0,'127.0.0.1',()=>{const b=n.createServer().listen(0,'::',()=>console.log(a.address().port,b.address().port))})";
    const sh = spawn('sh', ['-c', `${process.execPath} -e "${script}"; :`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let tree: number[] = [];
    try {
      const [line] = await once(sh.stdout!, 'data') as [Buffer];
      const [v4, v6] = line.toString().trim().split(' ').map(Number);
      tree = processTree(sh.pid!);
      assert.ok(tree.length >= 2, 'the shell and its node child');
      const found = listeningSockets(sh.pid!);
      assert.deepEqual(found.filter((l) => l.port === v4), [{ address: '127.0.0.1', port: v4 }]);
      assert.ok(found.some((l) => l.port === v6 && (l.address === '::' || l.address === '0.0.0.0')), JSON.stringify(found));
      assert.equal(found.length, 2, `only the tree's own sockets: ${JSON.stringify(found)}`);
    } finally {
      for (const pid of [...tree.slice(1), sh.pid!]) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      sh.stdout!.destroy();
    }
  });
});
