// Bad input to the generators: a clear error naming the problem, and nothing written or lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';
import { GENERATED_HEADER } from '../../scripts/gen-arms.js';
import { RENDER_SH, copyK8s, hasKubectl } from './manifests.js';

const GEN = join(ROOT, 'dist', 'scripts', 'gen-arms.js');

function genArms(args: string[]) {
  return spawnSync(process.execPath, [GEN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
}

/** Every file's bytes under dir, to prove a failed run changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name), 'utf8'));
  }
  return out;
}

test('gen-arms: an unknown option is LAB_BAD_OPTION and writes nothing', () => {
  const copy = copyK8s();
  try {
    const r = genArms(['--k8s-dir', copy.k8s, '--arms', 'x']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /LAB_BAD_OPTION: .*'--arms'/);
    assert.equal(existsSync(join(copy.k8s, 'arms')), false);
  } finally {
    copy.remove();
  }
});

test('gen-arms: a lever without a component is LAB_BAD_MANIFEST naming the lever, and writes nothing', () => {
  const copy = copyK8s();
  try {
    rmSync(join(copy.k8s, 'components', 'surge'), { recursive: true });
    const r = genArms(['--k8s-dir', copy.k8s]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /LAB_BAD_MANIFEST: .*lever "surge" has no component/);
    assert.equal(existsSync(join(copy.k8s, 'arms')), false);
  } finally {
    copy.remove();
  }
});

test('gen-arms: a hand-made folder in k8s/arms is refused, and no overlay is touched', () => {
  const copy = copyK8s(true);
  try {
    mkdirSync(join(copy.k8s, 'arms', 'my-experiment'));
    writeFileSync(join(copy.k8s, 'arms', 'my-experiment', 'kustomization.yaml'), 'resources: [../../base]\n');
    writeFileSync(join(copy.k8s, 'arms', 'before', 'kustomization.yaml'), '# edited by hand\n');
    const before = snapshot(join(copy.k8s, 'arms'));
    const r = genArms(['--k8s-dir', copy.k8s]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /LAB_BAD_MANIFEST: .*my-experiment is not a generated overlay/);
    assert.deepEqual(snapshot(join(copy.k8s, 'arms')), before);
  } finally {
    copy.remove();
  }
});

test('gen-arms: the overlay of an arm that no longer exists is removed, hand edits are regenerated', () => {
  const copy = copyK8s(true);
  try {
    mkdirSync(join(copy.k8s, 'arms', 'ladder-9-gone'));
    writeFileSync(join(copy.k8s, 'arms', 'ladder-9-gone', 'kustomization.yaml'), `${GENERATED_HEADER}\nresources: [../../base]\n`);
    const committed = readFileSync(join(copy.k8s, 'arms', 'before', 'kustomization.yaml'), 'utf8');
    writeFileSync(join(copy.k8s, 'arms', 'before', 'kustomization.yaml'), '# edited by hand\n');
    const r = genArms(['--k8s-dir', copy.k8s]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(join(copy.k8s, 'arms', 'ladder-9-gone')), false);
    assert.equal(readFileSync(join(copy.k8s, 'arms', 'before', 'kustomization.yaml'), 'utf8'), committed);
  } finally {
    copy.remove();
  }
});

test('render.sh without kubectl is LAB_MISSING_TOOL naming kubectl, and k8s/rendered is untouched', () => {
  const copy = copyK8s(true);
  // A PATH holding only what the script needs before its kubectl check.
  const bin = mkdtempSync(join(tmpdir(), 'lab-bin-'));
  try {
    for (const tool of ['bash', 'dirname']) {
      const which = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      symlinkSync(which, join(bin, tool));
    }
    const before = snapshot(copy.k8s);
    const r = spawnSync(RENDER_SH, [], { env: { PATH: bin, K8S_DIR: copy.k8s, SKIP_BUILD: '1' }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /LAB_MISSING_TOOL: .*kubectl/);
    assert.deepEqual(snapshot(copy.k8s), before);
  } finally {
    rmSync(bin, { recursive: true, force: true });
    copy.remove();
  }
});

test('render.sh: a component kustomize rejects fails the run and leaves every rendered file as it was', (t) => {
  if (!hasKubectl()) { t.skip('kubectl not found: render failure check skipped'); return; }
  const copy = copyK8s(true);
  try {
    // A patch whose target does not exist: kustomize refuses it, but only for arms that use surge,
    // i.e. after several arms were already rendered into the staging folder.
    writeFileSync(join(copy.k8s, 'components', 'surge', 'worker.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: no-such-worker\nspec:\n  replicas: 1\n');
    const before = snapshot(join(copy.k8s, 'rendered'));
    const r = spawnSync(RENDER_SH, [], { env: { ...process.env, K8S_DIR: copy.k8s, SKIP_BUILD: '1' }, encoding: 'utf8', timeout: 120_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no-such-worker/);
    assert.deepEqual(snapshot(join(copy.k8s, 'rendered')), before);
  } finally {
    copy.remove();
  }
});
