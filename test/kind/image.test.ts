import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isLabError } from '../../common/errors.js';
import { contentHash, imageFiles, imageTag } from '../../lab/targets/kind/image.js';
import { ROOT } from '../helpers/proc.js';

const root = mkdtempSync(join(tmpdir(), 'kind-image-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(p: string, text: string): void {
  mkdirSync(join(root, p, '..'), { recursive: true });
  writeFileSync(join(root, p), text);
}

describe('content-derived image tag', () => {
  it('is stable, changes with any input file, and ignores node_modules, dist and tests', () => {
    write('Dockerfile', 'FROM node:20-slim\n');
    write('package-lock.json', '{}');
    write('service/main.ts', 'export {};\n');
    const h1 = contentHash(root);
    assert.match(h1, /^[0-9a-f]{12}$/);
    assert.equal(contentHash(root), h1);
    write('node_modules/x/index.js', 'x');
    write('dist/service/main.js', 'x');
    write('test/a.test.ts', 'x');
    assert.equal(contentHash(root), h1);
    write('service/main.ts', 'export const x = 1;\n');
    const h2 = contentHash(root);
    assert.notEqual(h2, h1);
    write('Dockerfile', 'FROM node:20-slim\nUSER 10001\n');
    assert.notEqual(contentHash(root), h2);
    assert.deepEqual(imageFiles(root), ['Dockerfile', 'package-lock.json', 'service/main.ts']);
  });

  it('refuses a tree without a Dockerfile', () => {
    const empty = mkdtempSync(join(tmpdir(), 'kind-image-empty-'));
    try {
      assert.throws(() => contentHash(empty), (e) => isLabError(e) && /Dockerfile not found/.test(e.message));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('tags the repository image deploy-loss-lab:<12 hex>, never latest', () => {
    assert.match(imageTag(ROOT), /^deploy-loss-lab:[0-9a-f]{12}$/);
  });
});

describe('kind load fallback for the containerd image store (stub docker/kind on PATH)', () => {
  // kind fails on `load docker-image` the way it does under Docker's containerd image store
  async function fallback(dockerVersion: string): Promise<string[]> {
    const { chmodSync, readFileSync } = await import('node:fs');
    const { delimiter } = await import('node:path');
    const { buildAndLoad } = await import('../../lab/targets/kind/image.js');
    const { RealExecutor } = await import('../../lab/targets/kind/real-executor.js');
    const { KubeConfig } = await import('@kubernetes/client-node');
    const bin = mkdtempSync(join(tmpdir(), 'kind-load-'));
    const log = join(bin, 'calls');
    writeFileSync(join(bin, 'kind'), `#!/bin/sh\necho "kind $*" >> "${log}"\ncase "$2" in docker-image) echo 'ERROR: failed to load image: ctr: content digest sha256:abc: not found' >&2; exit 1;; esac\n`);
    writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "docker $*" >> "${log}"\ncase "$1" in version) echo '${dockerVersion}';; esac\n`);
    for (const t of ['kind', 'docker']) chmodSync(join(bin, t), 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${saved}`;
    try {
      const kc = new KubeConfig();
      kc.loadFromOptions({ clusters: [{ name: 'none', server: 'http://127.0.0.1:9', skipTLSVerify: true }], users: [{ name: 'none' }], contexts: [{ name: 'none', cluster: 'none', user: 'none' }], currentContext: 'none' });
      const tag = await buildAndLoad(new RealExecutor(kc), root, 'deploy-loss-lab:0123456789ab', { kind: true });
      assert.equal(tag, 'deploy-loss-lab:0123456789ab');
      return readFileSync(log, 'utf8').trim().split('\n');
    } finally {
      process.env.PATH = saved;
      rmSync(bin, { recursive: true, force: true });
    }
  }

  it('saves one platform to an archive and loads that when kind load docker-image fails (Docker 29)', async () => {
    const calls = await fallback('29.1.2');
    assert.equal(calls.length, 5, calls.join('\n'));
    assert.match(calls[1]!, /^kind load docker-image deploy-loss-lab:0123456789ab --name deploy-loss-lab$/);
    assert.equal(calls[2], 'docker version --format {{.Server.Version}}');
    const save = /^docker image save --platform linux\/(amd64|arm64) --output (\S+\/image\.tar) deploy-loss-lab:0123456789ab$/.exec(calls[3]!);
    assert.ok(save, calls[3]);
    assert.equal(calls[4], `kind load image-archive ${save[2]} --name deploy-loss-lab`);
  });

  it('leaves out --platform on a Docker older than 28, which has no such flag (issue 21)', async () => {
    const calls = await fallback('27.5.1');
    const save = /^docker image save --output (\S+\/image\.tar) deploy-loss-lab:0123456789ab$/.exec(calls[3]!);
    assert.ok(save, calls[3]);
    assert.equal(calls[4], `kind load image-archive ${save[1]} --name deploy-loss-lab`);
  });
});
