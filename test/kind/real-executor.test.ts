import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isLabError } from '../../common/errors.js';
import { auditJob } from '../../lab/targets/kind/objects.js';
import { loadArmManifest } from '../../lab/targets/kind/manifest.js';
import { loadKubeConfig, RealExecutor } from '../../lab/targets/kind/real-executor.js';
import { ROOT } from '../helpers/proc.js';
import { startFixtureKubeconfig, type ApiFixture } from './api-fixture.js';

// The real executor against a recording HTTP server: the exact verbs, paths, query parameters and
// content types @kubernetes/client-node sends for each step of the kind target.

let api: ApiFixture;
let dir: string;
let exec: RealExecutor;
let fixture: Awaited<ReturnType<typeof startFixtureKubeconfig>>;

before(async () => {
  fixture = await startFixtureKubeconfig('kind-kubeconfig-');
  ({ api, dir } = fixture);
  exec = new RealExecutor(loadKubeConfig('fixture'));
});
after(() => fixture.close());

const writes = () => api.requests.filter((r) => r.method !== 'GET');

describe('RealExecutor requests', () => {
  it('server-side applies every object of an arm with fieldManager and force', async () => {
    api.requests.length = 0;
    const m = loadArmManifest(join(ROOT, 'k8s/rendered'), 'after', 'deploy-loss-lab:0123456789ab');
    for (const o of m.objects) await exec.apply(o);
    const w = writes();
    assert.equal(w.length, m.objects.length);
    for (const r of w) {
      assert.equal(r.method, 'PATCH');
      assert.equal(r.contentType, 'application/apply-patch+yaml');
      assert.match(r.url, /[?&]fieldManager=deploy-loss-lab(&|$)/);
      assert.match(r.url, /[?&]force=true(&|$)/);
    }
    assert.match(w[0]!.url, /^\/api\/v1\/namespaces\/deploy-loss-lab\?/);
    const dep = w.find((r) => r.url.startsWith('/apis/apps/v1/namespaces/deploy-loss-lab/deployments/service?'));
    assert.ok(dep, w.map((r) => r.url).join('\n'));
    assert.match(dep.body, /deploy-loss-lab:0123456789ab/);
    assert.doesNotMatch(dep.body, /deploy-loss-lab:dev/);
  });

  it('restarts a Deployment with a strategic merge patch of the template annotation', async () => {
    api.requests.length = 0;
    await exec.restartDeployment('deploy-loss-lab', 'service', '2026-11-21T12:00:00.000Z');
    const [r] = writes();
    assert.equal(r!.method, 'PATCH');
    assert.match(r!.url, /^\/apis\/apps\/v1\/namespaces\/deploy-loss-lab\/deployments\/service\?fieldManager=deploy-loss-lab$/);
    assert.equal(r!.contentType, 'application/strategic-merge-patch+json');
    assert.deepEqual(JSON.parse(r!.body), { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-21T12:00:00.000Z' } } } } });
  });

  it('creates a Job, reads its status and pod log, deletes it in the background', async () => {
    api.requests.length = 0;
    const job = auditJob({ name: 'ledger-audit-t', runId: 't', image: 'deploy-loss-lab:0123456789ab', mode: 'audit', k6Job: 'k6-t' });
    await exec.create(job);
    api.responses.set('/apis/batch/v1/namespaces/deploy-loss-lab/jobs/ledger-audit-t/status', [200, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'ledger-audit-t' }, status: { failed: 1 } }]);
    assert.equal(await exec.waitJobFinished('deploy-loss-lab', 'ledger-audit-t', 5000), 'failed');
    api.responses.set('/api/v1/namespaces/deploy-loss-lab/pods/p1/log', [200, 'LAB_AUDIT_BEGIN\n{}\nLAB_AUDIT_END\n']);
    assert.equal(await exec.podLog('deploy-loss-lab', 'p1'), 'LAB_AUDIT_BEGIN\n{}\nLAB_AUDIT_END\n');
    await exec.remove({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'deploy-loss-lab', name: 'ledger-audit-t' });
    const w = writes();
    assert.equal(w[0]!.method, 'POST');
    assert.match(w[0]!.url, /^\/apis\/batch\/v1\/namespaces\/deploy-loss-lab\/jobs\?fieldManager=deploy-loss-lab$/);
    assert.equal(w[1]!.method, 'DELETE');
    assert.match(w[1]!.url, /^\/apis\/batch\/v1\/namespaces\/deploy-loss-lab\/jobs\/ledger-audit-t(\?|$)/);
    assert.match(w[1]!.url + w[1]!.body, /propagationPolicy.{0,3}Background/);
  });

  it('treats a 404 on delete as done, and names other API failures', async () => {
    api.responses.set('/apis/batch/v1/namespaces/deploy-loss-lab/jobs/gone', [404, { kind: 'Status', code: 404, reason: 'NotFound' }]);
    await exec.remove({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'deploy-loss-lab', name: 'gone' });
    api.responses.set('/apis/apps/v1/namespaces/deploy-loss-lab/deployments/worker', [422, { kind: 'Status', code: 422, message: 'field is immutable' }]);
    await assert.rejects(exec.restartDeployment('deploy-loss-lab', 'worker', 'now'), (e) => isLabError(e, 'LAB_K8S_API') && /restart Deployment deploy-loss-lab\/worker: HTTP 422/.test(e.message));
  });

  it('bounds its waits with LAB_TIMEOUT', async () => {
    api.responses.set('/apis/batch/v1/namespaces/deploy-loss-lab/jobs/slow/status', [200, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'slow' }, status: {} }]);
    const t = Date.now();
    await assert.rejects(exec.waitJobFinished('deploy-loss-lab', 'slow', 1500), (e) => isLabError(e, 'LAB_TIMEOUT'));
    assert.ok(Date.now() - t < 1500 * 3 + 2000);
  });

  it('watches Pods and EndpointSlices into the timeline sink, timestamped, and stops', async () => {
    const ev = (type: string, object: unknown) => JSON.stringify({ type, object });
    api.responses.set('/api/v1/namespaces/deploy-loss-lab/pods', [200, `${ev('ADDED', { metadata: { name: 'service-a' } })}\n${ev('MODIFIED', { metadata: { name: 'service-a', deletionTimestamp: 'x' } })}\n`]);
    api.responses.set('/apis/discovery.k8s.io/v1/namespaces/deploy-loss-lab/endpointslices', [200, `${ev('ADDED', { metadata: { name: 's1' } })}\n`]);
    const seen: Array<[string, string, number]> = [];
    const t0 = Date.now();
    const stop = await exec.watch('deploy-loss-lab', (r, type, _obj, t) => seen.push([r, type, t]));
    for (let i = 0; i < 50 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    stop();
    assert.deepEqual(seen.slice(0, 3).map(([r, type]) => `${r} ${type}`).sort(), ['EndpointSlice ADDED', 'Pod ADDED', 'Pod MODIFIED']);
    for (const [, , t] of seen) assert.ok(t >= t0 && t <= Date.now());
    const watched = api.requests.filter((r) => /[?&]watch=true/.test(r.url)).map((r) => r.url.split('?')[0]);
    for (const p of ['/apis/apps/v1/namespaces/deploy-loss-lab/deployments', '/api/v1/namespaces/deploy-loss-lab/pods', '/apis/discovery.k8s.io/v1/namespaces/deploy-loss-lab/endpointslices', '/api/v1/namespaces/deploy-loss-lab/events']) {
      assert.ok(watched.includes(p), `no watch on ${p}`);
    }
  });

  it('refuses an unknown context, naming the known ones', () => {
    assert.throws(() => loadKubeConfig('kind-deploy-loss-lab'), (e) => isLabError(e, 'LAB_BAD_OPTION') && /"kind-deploy-loss-lab" is not in the kubeconfig; known contexts: fixture/.test(e.message));
  });

  it('names a missing docker/kind binary', async () => {
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
      await assert.rejects(exec.command('kind', ['get', 'clusters']), (e) => isLabError(e, 'LAB_MISSING_TOOL') && /kind is not on PATH/.test(e.message));
    } finally {
      process.env.PATH = saved;
    }
  });
});
