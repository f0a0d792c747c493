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
