import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../helpers/proc.js';

// scripts/ensure-deps.sh with a PATH of stubs (npm, uname, id, apt-get) plus the real node and
// dirname: which target needs a host redis-server, and the install command it names per OS.
// npm is a stub, so the test never installs anything.

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function path(stubs: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'ensure-deps-'));
  dirs.push(d);
  symlinkSync(process.execPath, join(d, 'node'));
  for (const tool of ['dirname']) {
    const real = ['/usr/bin', '/bin'].map((b) => join(b, tool)).find((p) => existsSync(p));
    if (real) symlinkSync(real, join(d, tool));
  }
  for (const [name, out] of Object.entries({ npm: '', ...stubs })) {
    writeFileSync(join(d, name), `#!/bin/bash\necho "${name} $*" >> "${d}/calls"\nprintf '%s\\n' ${JSON.stringify(out)}\n`);
    chmodSync(join(d, name), 0o755);
  }
  return d;
}

const run = (target: string, d: string) => spawnSync('/bin/bash', [join(ROOT, 'scripts/ensure-deps.sh'), target], { encoding: 'utf8', timeout: 30_000, env: { PATH: d, HOME: d } });
const calls = (d: string) => (existsSync(join(d, 'calls')) ? readFileSync(join(d, 'calls'), 'utf8') : '');

describe('scripts/ensure-deps.sh', () => {
  it('the kind target needs no redis-server on the host', () => {
    const d = path({ uname: 'Linux', id: '1000' });
    const r = run('kind', d);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /redis/);
  });

  it('the local target names brew on macOS', () => {
    const d = path({ uname: 'Darwin', id: '501' });
    const r = run('local', d);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /redis-server is missing \(the local target starts one\)\. Install it with: {2}brew install redis/);
    assert.doesNotMatch(calls(d), /apt-get/);
  });

  it('the local target names sudo apt-get on Debian/Ubuntu when not root, and installs nothing', () => {
    const d = path({ uname: 'Linux', id: '1000', 'apt-get': '' });
    const r = run('local', d);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Install it with: {2}sudo apt-get install -y redis-server/);
    assert.doesNotMatch(calls(d), /^apt-get/m);
  });
});
