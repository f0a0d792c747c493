import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { isLabError } from '../../common/errors.js';
import { loadKubeConfig, RealExecutor } from '../../lab/targets/kind/real-executor.js';
import { Timeline } from '../../lab/targets/kind/timeline.js';
import { ROOT } from '../helpers/proc.js';
import { startFixtureKubeconfig, type ApiFixture } from './api-fixture.js';

// Defects of the kind path found by review (issue 15), each pinned by a test that failed before
// its fix: a stub API server on 127.0.0.1 (api-fixture.ts), recorded watch objects, the files.

let api: ApiFixture;
let exec: RealExecutor;
let fixture: Awaited<ReturnType<typeof startFixtureKubeconfig>>;

before(async () => {
  fixture = await startFixtureKubeconfig('kind-defects-');
  ({ api } = fixture);
  exec = new RealExecutor(loadKubeConfig('fixture'));
});
after(() => fixture.close());
const NS = 'deploy-loss-lab';

const until = async (what: string, ok: () => boolean, ms = 8000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`${what} not seen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const available = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'service', generation: 2 }, spec: { replicas: 3, selector: { matchLabels: { app: 'service' } } }, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 } };
const podList = (terminating: boolean) => ({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [{ metadata: { name: 'service-old', ...(terminating ? { deletionTimestamp: '2026-12-01T10:00:00Z' } : {}) } }] });

describe('kind target defects (issue 15)', () => {
  it('after applying an arm, waits until no pod of the Deployment is terminating (stub API)', async () => {
    api.responses.set(`/apis/apps/v1/namespaces/${NS}/deployments/service`, [200, available]);
    api.responses.set(`/api/v1/namespaces/${NS}/pods`, [200, podList(true)]);
    api.requests.length = 0;
    await assert.rejects(exec.waitDeploymentsAvailable(NS, ['service'], 1500), (e) => isLabError(e, 'LAB_TIMEOUT') && /no pod terminating/.test(e.message));
    const list = api.requests.find((r) => r.url.startsWith(`/api/v1/namespaces/${NS}/pods?`));
    assert.ok(list, 'the pods of the Deployment were listed');
    assert.match(decodeURIComponent(list.url), /labelSelector=app=service/);
    api.responses.set(`/api/v1/namespaces/${NS}/pods`, [200, podList(false)]);
    await exec.waitDeploymentsAvailable(NS, ['service'], 5000);
    api.responses.delete(`/api/v1/namespaces/${NS}/pods`);
  });

  it('a watch the API server refuses is restarted, not a crash (stub API answers 500)', async () => {
    api.responses.set(`/api/v1/namespaces/${NS}/pods`, [500, { kind: 'Status', code: 500, message: 'etcd unavailable' }]);
    api.requests.length = 0;
    const stop = await exec.watch(NS, () => {});
    try {
      await until('a second watch of pods', () => api.requests.filter((r) => r.url.startsWith(`/api/v1/namespaces/${NS}/pods?`) && /watch=true/.test(r.url)).length >= 2);
    } finally {
      stop();
      api.responses.delete(`/api/v1/namespaces/${NS}/pods`);
    }
  });

  it('a watch that ends restarts from the last resourceVersion it saw (stub API)', async () => {
    const ev = (type: string, rv: string) => JSON.stringify({ type, object: { metadata: { name: 'service', resourceVersion: rv } } });
    api.responses.set(`/apis/apps/v1/namespaces/${NS}/deployments`, [200, `${ev('ADDED', '41')}\n${ev('MODIFIED', '42')}\n`]);
    api.requests.length = 0;
    const stop = await exec.watch(NS, () => {});
    const watches = () => api.requests.filter((r) => r.url.startsWith(`/apis/apps/v1/namespaces/${NS}/deployments?`));
    try {
      await until('the restarted watch', () => watches().length >= 2);
    } finally {
      stop();
      api.responses.delete(`/apis/apps/v1/namespaces/${NS}/deployments`);
    }
    assert.doesNotMatch(watches()[0]!.url, /resourceVersion=/);
    assert.match(watches()[1]!.url, /[?&]resourceVersion=42(&|$)/);
  });

  it('counts SIGKILLs and deregistrations only of terminations that start inside the deploy window (recorded watch objects)', () => {
    const tl = new Timeline('service');
    tl.on('ReplicaSet', 'ADDED', { metadata: { name: 'service-7d9f8', ownerReferences: [{ kind: 'Deployment', name: 'service', controller: true }] } }, 0);
    const pod = (name: string, extra: any) => ({ metadata: { name, labels: { app: 'service' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'service-7d9f8', controller: true }], ...extra.metadata }, status: { conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: extra.cs ?? [] } });
    const killed = [{ state: { terminated: { exitCode: 137, reason: 'Error' } } }];
    // the previous arm's pod: deleted at 1000 (before the window), SIGKILLed at 11 000 (inside it)
    tl.on('Pod', 'ADDED', pod('service-prev', {}), 500);
    tl.on('Pod', 'MODIFIED', pod('service-prev', { metadata: { deletionTimestamp: 'x' } }), 1000);
    tl.on('Pod', 'MODIFIED', pod('service-prev', { metadata: { deletionTimestamp: 'x' }, cs: killed }), 11_000);
    // this run's pod: deleted at 12 000, SIGKILLed at 22 000
    tl.on('Pod', 'ADDED', pod('service-now', {}), 500);
    tl.on('Pod', 'MODIFIED', pod('service-now', { metadata: { deletionTimestamp: 'x' } }), 12_000);
    tl.on('Pod', 'MODIFIED', pod('service-now', { metadata: { deletionTimestamp: 'x' }, cs: killed }), 22_000);
    const window = { start: 10_000, end: 30_000 };
    assert.equal(tl.sigkills(), 2);
    assert.equal(tl.sigkills(window), 1);
    assert.deepEqual(tl.deregistrations(window).map((d) => d.pod), ['service-now']);
  });

  it('k8s/kind/cluster.yaml maps no host ports and sets no stale ingress-ready label (the file)', () => {
    const cfg = parse(readFileSync(join(ROOT, 'k8s/kind/cluster.yaml'), 'utf8'));
    assert.equal(cfg.nodes.length, 3);
    for (const n of cfg.nodes) {
      assert.equal(n.extraPortMappings, undefined, 'a busy host port would stop `kind create cluster`');
      assert.equal(n.labels?.['ingress-ready'], undefined, 'the pinned ingress-nginx manifest has no nodeSelector on it');
    }
  });
  it('estimates a kind run from its k6 schedule (~4.3 min for 3 deploys), not the local ~1.5 min (the CLI dry run)', () => {
    const r = spawnSync(process.execPath, ['dist/lab/cli.js', 'before', '--target', 'kind', '--dry-run'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, KUBE_CONTEXT: '', LAB_REGISTRY: '' } });
    assert.equal(r.status, 0, r.stderr);
    // 4 s warm-up + 8 s baseline + 3 × 60 s + 2 × 2 s + 4 s cool-down + ~60 s of Jobs and pod starts
    assert.match(r.stderr, /1 arm\(s\) × 1 rep\(s\) on kind \(L7 ingress-nginx, client go\) .* planned ~4\.3 min/);
  });
});
