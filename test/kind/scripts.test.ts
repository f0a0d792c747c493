import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../helpers/proc.js';

// The cluster scripts are run by an absolute bash with a PATH that lacks the tools: the errors
// must name every missing tool and the version the lab needs, and nothing may run after them.

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function bin(tools: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'kind-path-'));
  dirs.push(d);
  for (const [name, out] of Object.entries(tools)) {
    writeFileSync(join(d, name), `#!/bin/bash\necho "$*" >> "${d}/calls"\nprintf '%s\\n' ${JSON.stringify(out)}\n`);
    chmodSync(join(d, name), 0o755);
  }
  return d;
}

function run(script: string, path: string, env: Record<string, string> = {}) {
  return spawnSync('/bin/bash', [join(ROOT, 'scripts', script)], { encoding: 'utf8', timeout: 30_000, env: { PATH: path, HOME: path, ...env } });
}

describe('kind cluster scripts', () => {
  it('make cluster names every missing tool with its version', () => {
    const r = run('kind-cluster.sh', bin());
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^LAB_MISSING_TOOL: missing on PATH: docker kind kubectl\./);
    assert.match(r.stderr, /docker >= 20\.10\.0 with a running engine/);
    assert.match(r.stderr, /kind >= v0\.30\.0/);
    assert.match(r.stderr, /kubectl >= v1\.33\.0/);
    assert.equal(r.stdout, '');
  });

  it('names only the tool that is missing', () => {
    const d = bin({ docker: '28.2.2', kubectl: 'Client Version: v1.34.1' });
    const r = run('kind-cluster.sh', d);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /missing on PATH: kind\. The kind target needs:\n {2}- kind >= v0\.30\.0/);
    assert.doesNotMatch(r.stderr, /docker >=|kubectl >=/);
  });

  it('refuses a tool that is too old, before creating anything', () => {
    const d = bin({ docker: '28.2.2', kubectl: 'Client Version: v1.32.4-dispatcher', kind: 'kind v0.29.0 go1.24.2 linux/amd64' });
    const r = run('kind-cluster.sh', d);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /too old:\n {2}- kind 0\.29\.0 is older than 0\.30\.0/);
    assert.match(r.stderr, /kubectl 1\.32\.4-dispatcher is older than 1\.33\.0/);
    assert.doesNotMatch(r.stderr, /docker .* is older/);
    // only version queries ran: no create, no apply
    const calls = spawnSync('/bin/cat', [join(d, 'calls')], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(calls, /create|apply|load/);
  });

  it('make clean-cluster needs kubectl and says so', () => {
    const r = run('kind-clean.sh', bin(), { KUBE_CONTEXT: 'some-cluster' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^LAB_MISSING_TOOL: missing on PATH: kubectl\./);
  });
  // With every tool present (stubs that log their arguments), the whole `make cluster` sequence.
  const fullRun = (l7?: string) => {
    const d = bin({ docker: '28.2.2', kubectl: 'Client Version: v1.34.1', kind: 'kind v0.30.0 go1.24.2 linux/amd64' });
    symlinkSync('/bin/mkdir', join(d, 'mkdir'));
    const r = run('kind-cluster.sh', d, { LAB_STATE_DIR: join(d, 'state'), ...(l7 ? { LAB_L7: l7 } : {}) });
    const calls = r.status === 0 ? readFileSync(join(d, 'calls'), 'utf8') : '';
    return { r, calls };
  };

  it('waits for the ingress-nginx controller rollout, not the admission Jobs (stub tools)', () => {
    const { r, calls } = fullRun();
    assert.equal(r.status, 0, r.stderr);
    assert.match(calls, /^--context kind-deploy-loss-lab rollout status --namespace ingress-nginx deployment\/ingress-nginx-controller --timeout=180s$/m);
    assert.doesNotMatch(calls, /wait .*job/, 'admission Jobs have ttlSecondsAfterFinished 0: a wait on them races their deletion');
    assert.match(calls, /^create cluster --name deploy-loss-lab --config \S+\/k8s\/kind\/cluster\.yaml --wait 180s$/m);
  });

  it('L7=envoy-gateway installs the pinned Envoy Gateway release server-side and waits for it (stub tools)', () => {
    const { r, calls } = fullRun('envoy-gateway');
    assert.equal(r.status, 0, r.stderr);
    assert.match(calls, /^--context kind-deploy-loss-lab apply --server-side -f https:\/\/github\.com\/envoyproxy\/gateway\/releases\/download\/v1\.9\.0\/install\.yaml$/m);
    assert.match(calls, /rollout status --namespace envoy-gateway-system deployment\/envoy-gateway/);
    assert.doesNotMatch(calls, /ingress-nginx/);
  });

  it('labels what make cluster installs, so clean-cluster can find it without the manifest (stub tools)', () => {
    const { r, calls } = fullRun();
    assert.equal(r.status, 0, r.stderr);
    assert.match(calls, /^--context kind-deploy-loss-lab label --overwrite -f https:\/\/raw\.githubusercontent\.com\/kubernetes\/ingress-nginx\/controller-v1\.15\.1\/deploy\/static\/provider\/kind\/deploy\.yaml deploy-loss-lab\/installed-by=make-cluster$/m);
  });

  // kubectl that answers the version check and api-resources (two cluster-scoped kinds besides namespaces)
  const cleanRun = (env: Record<string, string>, state: string[] = []) => {
    const d = bin();
    writeFileSync(join(d, 'kubectl'), `#!/bin/bash\necho "$*" >> "${d}/calls"\ncase "$*" in *"version --client"*) echo 'Client Version: v1.34.1';; *api-resources*) printf 'namespaces\\nclusterroles.rbac.authorization.k8s.io\\ncustomresourcedefinitions.apiextensions.k8s.io\\n';; esac\n`);
    chmodSync(join(d, 'kubectl'), 0o755);
    for (const t of ['grep', 'paste', 'rm']) symlinkSync(`/usr/bin/${t}`, join(d, t));
    const stateDir = join(d, 'state');
    spawnSync('/bin/mkdir', ['-p', stateDir]);
    for (const f of state) writeFileSync(join(stateDir, f), '');
    const r = run('kind-clean.sh', d, { LAB_STATE_DIR: stateDir, ...env });
    return { r, calls: readFileSync(join(d, 'calls'), 'utf8') };
  };

  it('make clean-cluster deletes by the lab\'s labels only, and downloads no manifest (issue 21, stub kubectl)', () => {
    const { r, calls } = cleanRun({ KUBE_CONTEXT: 'prod' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(calls, /^--context prod delete namespace -l app\.kubernetes\.io\/part-of=deploy-loss-lab --ignore-not-found/m);
    assert.match(calls, /^--context prod delete clusterroles\.rbac\.authorization\.k8s\.io,customresourcedefinitions\.apiextensions\.k8s\.io -l app\.kubernetes\.io\/part-of=deploy-loss-lab --ignore-not-found$/m);
    assert.doesNotMatch(calls, /delete namespace deploy-loss-lab|-f https?:|installed-by/, 'nothing by name, no manifest, no controller on a cluster the lab did not install into');
  });

  it('removes the controllers make cluster installed by their label, not by their manifest (stub kubectl)', () => {
    const { r, calls } = cleanRun({}, ['kind-ingress-installed']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(calls, /^--context kind-deploy-loss-lab delete namespace -l deploy-loss-lab\/installed-by=make-cluster /m);
    assert.match(calls, /delete clusterroles\.rbac\.authorization\.k8s\.io,customresourcedefinitions\.apiextensions\.k8s\.io -l deploy-loss-lab\/installed-by=make-cluster/);
    assert.doesNotMatch(calls, /-f https?:/);
  });

  it('refuses an unknown L7 before touching anything', () => {
    const d = bin({ docker: '28.2.2', kubectl: 'Client Version: v1.34.1', kind: 'kind v0.30.0' });
    const r = run('kind-cluster.sh', d, { LAB_L7: 'traefik' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /LAB_BAD_OPTION: L7=traefik: expected ingress-nginx or envoy-gateway/);
    assert.equal(spawnSync('/bin/cat', [join(d, 'calls')], { encoding: 'utf8' }).stdout, '');
  });
});
