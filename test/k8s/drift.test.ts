// The checked-in overlays and rendered manifests must be exactly what their sources produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARMS } from '../../lab/engine/arms.js';
import { K8S, NO_KUBECTL, RENDER_SH, copyK8s, hasKubectl } from './manifests.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

test('k8s/arms and k8s/rendered hold one overlay and one rendered file per arm of lab/engine/arms.ts', () => {
  const names = ARMS.map((a) => a.name).sort();
  assert.deepEqual(filesUnder(join(K8S, 'arms')), names.map((n) => `${n}/kustomization.yaml`).sort());
  assert.deepEqual(filesUnder(join(K8S, 'rendered')), names.map((n) => `${n}.yaml`).sort());
});

// One render of the whole tree (every arm and every L7 alternative: kubectl kustomize ~30 times) checks all
// three generated folders; the Gateway API objects of rendered-l7 have their own tests in gateway-api.test.ts.
test('re-rendering the sources reproduces k8s/arms, k8s/rendered and k8s/rendered-l7 byte for byte', (t) => {
  if (!hasKubectl()) { t.skip(NO_KUBECTL); return; }
  const copy = copyK8s();
  try {
    cpSync(join(K8S, 'l7'), join(copy.k8s, 'l7'), { recursive: true });
    const r = spawnSync(RENDER_SH, [], { env: { ...process.env, K8S_DIR: copy.k8s, SKIP_BUILD: '1' }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `render.sh failed: ${r.stderr}`);
    for (const sub of ['arms', 'rendered', 'rendered-l7']) {
      const want = filesUnder(join(K8S, sub));
      assert.deepEqual(filesUnder(join(copy.k8s, sub)), want, `${sub}: file set differs`);
      for (const f of want) {
        const fresh = readFileSync(join(copy.k8s, sub, f), 'utf8');
        const committed = readFileSync(join(K8S, sub, f), 'utf8');
        assert.ok(fresh === committed, `k8s/${sub}/${f} differs from its sources: run \`make render\``);
      }
    }
  } finally {
    copy.remove();
  }
});
