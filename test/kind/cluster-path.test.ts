import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isLabError } from '../../common/errors.js';
import { classifyK6 } from '../../loadtest/classes.js';
import { covers, describeCheck, EXECUTOR_CALLS } from '../../lab/targets/kind/api-access.js';
import { K6_MEMORY_CEILING_MIB, sizeK6 } from '../../lab/targets/kind/k6-sizing.js';
import { loadKubeConfig, RealExecutor } from '../../lab/targets/kind/real-executor.js';
import { RecordingExecutor } from '../../lab/targets/kind/recording-executor.js';
import { planKind } from '../../lab/targets/kind/run.js';
import { selectorMatches, selectorString } from '../../lab/targets/kind/selector.js';
import { Timeline } from '../../lab/targets/kind/timeline.js';
import { CHECK_CALLS, deploymentInfo, NEEDED, RecordingClusterAccess, rolloutBudgetS } from '../../lab/tools/check/cluster-access.js';
import { parseCheckOptions } from '../../lab/tools/check/options.js';
import { ROOT } from '../helpers/proc.js';
import { requestAttributes, startFixtureKubeconfig, type ApiFixture } from './api-fixture.js';
import { NS, SELECTOR, stubCheckCluster } from './check-stub.js';
import { stubCluster } from './stub-cluster.js';

// check's fixed phases shortened (warm-up 1 s, baseline 2 s instead of 3 + 5: these tests read the
// calls, SIGKILLs and notes of a run, not its baseline), as in the lab's other check tests. The
// phases are read when lab/tools/check/phases.ts loads, hence the import after the variable is set;
// the `check` processes spawned below inherit it.
process.env.LAB_CHECK_SHORT_PHASES = '1';
const { runClusterCheck, clusterDeps } = await import('../../lab/tools/check/run-cluster.js');

// Issue 21, the cluster path: each defect pinned by a test that failed before its fix, against the
// recording API server (api-fixture.ts, here enforcing RBAC), the stub clusters, the dry run and
// recorded-format watch objects. No cluster runs here.

let fixture: Awaited<ReturnType<typeof startFixtureKubeconfig>>;
let api: ApiFixture;
let exec: RealExecutor;
before(async () => {
  fixture = await startFixtureKubeconfig('kind-cluster-path-');
  ({ api } = fixture);
  exec = new RealExecutor(loadKubeConfig('fixture'));
});
after(() => fixture.close());

const CHECK = ['--context', 'fixture', '--namespace', NS, '--deployment', 'orders', '--url', 'http://orders-svc.shop:8080', '--deploys', '1', '--rate', '20', '--route', 'GET:/orders'];
const until = async (what: string, ok: () => boolean, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`${what} not seen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const writes = (requests = api.requests) => requests.filter((r) => r.method !== 'GET' && !r.url.includes('selfsubjectaccessreviews'));

async function checkRun(role = NEEDED) {
  api.requests.length = 0;
  api.denied.length = 0;
  api.role = { namespace: NS, rules: [...role] };
  stubCheckCluster(api);
  const said: string[] = [];
  try {
    const o = parseCheckOptions([...CHECK, '--yes'], ROOT);
    const m = await runClusterCheck(o, { runId: 'check-t1', say: (l) => said.push(l) }, clusterDeps(o));
    return { m: m!, said, requests: [...api.requests], denied: [...api.denied] };
  } finally {
    api.role = undefined;
    api.handler = undefined;
  }
}

// One complete run with exactly the preflight's Role (about 6 s of check's short phases against the stub),
// shared by the tests that each read a different part of it: they used to run it once each.
let complete: ReturnType<typeof checkRun> | undefined;
const completeRun = () => (complete ??= checkRun());

describe('§1.3 the permission preflight covers every call a run makes', () => {
  it('every permission the dry run records is in the preflight (one table: lab/targets/kind/api-access.ts)', async () => {
    const o = parseCheckOptions([...CHECK, '--dry-run'], ROOT);
    const rec = new RecordingExecutor();
    await runClusterCheck(o, { runId: 'x', say: () => {} }, { exec: rec, access: new RecordingClusterAccess(rec.calls), out: () => {}, root: ROOT });
    assert.ok(rec.accessed.length > 10);
    for (const a of rec.accessed) {
      assert.equal(a.namespace, NS);
      for (const c of a.checks) assert.ok(covers(NEEDED, c), `${describeCheck(c)} is used but not in the preflight`);
    }
    // what the review found missing: the calls the old preflight did not ask about
    for (const c of ['list pods', 'get jobs/status.batch', 'watch deployments.apps', 'watch replicasets.apps']) assert.ok(NEEDED.map(describeCheck).includes(c), c);
    for (const m of CHECK_CALLS) for (const c of EXECUTOR_CALLS[m]) assert.ok(covers(NEEDED, c));
  });

  it('with a Role of exactly the preflight\'s permissions, the RBAC-enforcing API server sees a complete run', async () => {
    const { m, said, requests, denied } = await completeRun();
    assert.deepEqual(denied, [], 'a call outside the Role');
    assert.ok(m, 'a measurement');
    for (const r of requests) {
      const attrs = requestAttributes(r.method, r.url);
      if (attrs && attrs.check.resource !== 'selfsubjectaccessreviews') assert.ok(covers(NEEDED, attrs.check), `${r.method} ${r.url}`);
    }
    const w = writes(requests).map((r) => `${r.method} ${r.url.split('?')[0]}`);
    assert.deepEqual(w, [
      `POST /api/v1/namespaces/${NS}/configmaps`, `POST /apis/batch/v1/namespaces/${NS}/jobs`, `PATCH /apis/apps/v1/namespaces/${NS}/deployments/orders`,
      `DELETE /apis/batch/v1/namespaces/${NS}/jobs/check-t1-k6`, `DELETE /api/v1/namespaces/${NS}/configmaps/check-t1-k6`,
    ]);
    // every progress line names the context (--yes restarts a real Deployment)
    assert.ok(said.length >= 2);
    for (const l of said) assert.match(l, /\[fixture\]/);
  });

  it('a Role without one permission stops the run in the preflight, naming it, and changes nothing', async () => {
    const without = NEEDED.filter((c) => describeCheck(c) !== 'list pods');
    await assert.rejects(checkRun(without), (e) => isLabError(e, 'LAB_FORBIDDEN') && /may not: list pods;/.test(e.message));
    assert.deepEqual(writes(), []);
  });
});

describe('§2.2 / §2.3 SIGKILLs and deregistration of the target Deployment only', () => {
  it('counts the one grace-period SIGKILL of the Deployment\'s own pods; not another Deployment\'s, the k6 pod\'s or an OOM kill', async () => {
    const { m } = await completeRun();
    assert.equal(m.summary!.sigkills, 1);
    const notes = m.notes.join('\n');
    assert.match(notes, /SIGKILL at the end of the grace period \(exit 137 after deletion\): orders-aaa-1$/m);
    assert.match(notes, /OOMKilled during the rollouts \(not counted as the rollout's SIGKILLs\): orders-aaa-oom/);
    assert.doesNotMatch(notes, /cart-ccc-1|check-k6/);
  });

  it('says the deregistration delay is not measured, and hands doctor no endpoint-removal time', async () => {
    const { m } = await completeRun();
    assert.deepEqual(m.deregistrationMs, [], 'the time until the endpoint was removed is the pod\'s shutdown, not its deregistration');
    assert.match(m.notes.join('\n'), /deregistration delay \(leaving rotation → last request that reached the pod\): not measured .* 1 old pod\(s\) of the Deployment were seen leaving rotation/);
  });

  it('finds the Deployment\'s pods through its ReplicaSets, or its selector (matchLabels AND matchExpressions), never the app label', () => {
    const tl = new Timeline('orders-svc', 'orders');
    tl.on('Deployment', 'ADDED', { metadata: { name: 'orders' }, spec: { selector: SELECTOR } }, 0);
    const p = (name: string, labels: Record<string, string>, rs?: string) => ({ metadata: { name, labels, ...(rs ? { ownerReferences: [{ kind: 'ReplicaSet', name: rs, controller: true }] } : {}) }, status: {} });
    tl.on('ReplicaSet', 'ADDED', { metadata: { name: 'orders-aaa', ownerReferences: [{ kind: 'Deployment', name: 'orders', controller: true }] } }, 0);
    tl.on('ReplicaSet', 'ADDED', { metadata: { name: 'ordersx-bbb', ownerReferences: [{ kind: 'Deployment', name: 'ordersx', controller: true }] } }, 0);
    const web = { 'app.kubernetes.io/name': 'orders', tier: 'web' };
    const pods = [
      p('orders-aaa-1', web, 'orders-aaa'),
      p('ordersx-bbb-1', web, 'ordersx-bbb'), // same labels, another Deployment's ReplicaSet
      p('orders-new-1', web, 'orders-unseen'), // its ReplicaSet not seen yet: the selector decides
      p('orders-canary', { 'app.kubernetes.io/name': 'orders', tier: 'batch' }), // matchExpressions exclude it
      p('orders', { app: 'orders-svc' }), // the app label equal to the Service name means nothing
    ];
    for (const x of pods) tl.on('Pod', 'ADDED', x, 1);
    for (const x of pods) tl.on('Pod', 'MODIFIED', { ...x, metadata: { ...x.metadata, deletionTimestamp: 'x' } }, 100);
    assert.deepEqual(tl.deregistrations().map((d) => d.pod).sort(), ['orders-aaa-1', 'orders-new-1']);
    assert.equal(selectorString(SELECTOR), 'app.kubernetes.io/name=orders,tier in (web)');
    assert.ok(selectorMatches(SELECTOR, { 'app.kubernetes.io/name': 'orders', tier: 'web' }));
    assert.ok(!selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, { tier: 'x' }));
    assert.ok(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch'] }, { key: 'app', operator: 'Exists' }] }, { app: 'a' }));
  });

  it('a container OOM-killed and restarted, then SIGKILLed when the rollout deletes its pod, counts once as each (recorded watch objects)', () => {
    const tl = new Timeline('orders-svc', 'orders');
    tl.on('ReplicaSet', 'ADDED', { metadata: { name: 'orders-aaa', ownerReferences: [{ kind: 'Deployment', name: 'orders', controller: true }] } }, 0);
    const pod = (cs: any, deleting = false) => ({ metadata: { name: 'orders-aaa-1', labels: {}, ownerReferences: [{ kind: 'ReplicaSet', name: 'orders-aaa', controller: true }], ...(deleting ? { deletionTimestamp: 'x' } : {}) }, status: { containerStatuses: [{ name: 'app', ...cs }] } });
    const oom = { exitCode: 137, reason: 'OOMKilled' };
    tl.on('Pod', 'ADDED', pod({ restartCount: 0, state: { running: {} } }), 1000);
    tl.on('Pod', 'MODIFIED', pod({ restartCount: 1, state: { running: {} }, lastState: { terminated: oom } }), 2000); // the watch saw only the restart
    tl.on('Pod', 'MODIFIED', pod({ restartCount: 1, state: { running: {} }, lastState: { terminated: oom } }, true), 3000);
    tl.on('Pod', 'MODIFIED', pod({ restartCount: 1, state: { terminated: { exitCode: 137, reason: 'Error' } }, lastState: { terminated: oom } }, true), 33_000);
    assert.deepEqual(tl.killed().map((k) => k.reason), ['oom-killed', 'grace-expired']);
    assert.equal(tl.sigkills({ start: 2500, end: 40_000 }, 'orders'), 1);
  });

  it('waits for a rollout with the Deployment\'s full selector, matchExpressions included (stub API)', async () => {
    api.responses.set('/apis/apps/v1/namespaces/shop/deployments/orders', [200, { metadata: { name: 'orders', generation: 1 }, spec: { replicas: 1, selector: SELECTOR }, status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 } }]);
    api.responses.set('/api/v1/namespaces/shop/pods', [200, { kind: 'PodList', metadata: {}, items: [] }]);
    api.requests.length = 0;
    try {
      await exec.waitDeploymentsAvailable('shop', ['orders'], 5000);
    } finally {
      api.responses.clear();
    }
    const list = api.requests.find((r) => r.url.startsWith('/api/v1/namespaces/shop/pods?'));
    assert.equal(new URL(list!.url, 'http://x').searchParams.get('labelSelector'), 'app.kubernetes.io/name=orders,tier in (web)');
  });
});

describe('§1.4 k6 sized from the plan', () => {
  it('refuses a rate whose VUs cannot fit, with LAB_K6_TOO_BIG, before any API call', async () => {
    assert.throws(() => sizeK6({ rate: 2000, paths: 2, expectedLatencyS: 0.25, timeoutSeconds: 15, plannedSeconds: 217 }), (e) => isLabError(e, 'LAB_K6_TOO_BIG') && /1 MiB|MiB per VU/.test(e.message));
    await assert.rejects(planKind({ arm: 'after', reps: 1, rate: 2000, deploys: 1, dryRun: true }, { env: { KUBE_CONTEXT: undefined, LAB_REGISTRY: undefined } }), (e) => isLabError(e, 'LAB_K6_TOO_BIG'));
    const rec = new RecordingExecutor();
    const o = parseCheckOptions([...CHECK.filter((a) => a !== '20' && a !== '--rate'), '--rate', '2000', '--dry-run'], ROOT);
    await assert.rejects(runClusterCheck(o, { runId: 'x', say: () => {} }, { exec: rec, access: new RecordingClusterAccess(rec.calls), out: () => {}, root: ROOT }), (e) => isLabError(e, 'LAB_K6_TOO_BIG'));
    assert.ok(!rec.calls.some((c) => /^(POST|PATCH|DELETE) /.test(c) && !c.includes('SelfSubjectAccessReview')), 'nothing created');
  });

  it('the CLI exits 2 on LAB_K6_TOO_BIG, and --dry-run refuses an unknown context (exit 2)', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['dist/lab/cli.js', 'check', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBECONFIG: join(fixture.dir, 'config') } });
    const big = run([...CHECK.filter((a) => a !== '20' && a !== '--rate'), '--rate', '2000', '--dry-run']);
    assert.equal(big.status, 2, big.stderr);
    assert.match(big.stderr, /LAB_K6_TOO_BIG/);
    const lab = spawnSync(process.execPath, ['dist/lab/cli.js', 'after', '--target', 'kind', '--rate', '2000', '--dry-run'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBE_CONTEXT: '', LAB_REGISTRY: '' } });
    assert.equal(lab.status, 2, lab.stderr);
    assert.match(lab.stderr, /LAB_K6_TOO_BIG: .*--rate 2000 needs 500 preallocated VUs per path/);
    const unknown = run([...CHECK.map((a) => (a === 'fixture' ? 'no-such-context' : a)), '--dry-run']);
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /LAB_UNKNOWN_CONTEXT: .*"no-such-context" is not in the kubeconfig; known contexts: fixture/);
  });

  it('preallocates rate × latency × headroom VUs, caps them, and asks for memory that fits the plan', () => {
    const s = sizeK6({ rate: 200, paths: 2, expectedLatencyS: 0.25, timeoutSeconds: 15, plannedSeconds: 217 });
    assert.equal(s.preAllocatedVUs, 50); // 100/s per path × 0.25 s × 2
    assert.ok(s.maxVUs < 100 * 15, 'not one VU per request of a whole timeout period');
    assert.ok(s.memoryLimitMiB <= K6_MEMORY_CEILING_MIB && s.memoryRequestMiB <= s.memoryLimitMiB);
    assert.ok(s.memoryRequestMiB >= 2 * 50 * 5, '5 MiB per preallocated VU (k6 docs)');
  });
});

describe('§2.6 Envoy Gateway: load starts when the Gateway is Programmed and its Envoy pods are Ready', () => {
  it('waits for Programmed=True of the current generation, then for Ready Envoy pods (stub API)', async () => {
    const gw = '/apis/gateway.networking.k8s.io/v1/namespaces/deploy-loss-lab/gateways/service';
    const envoy = '/api/v1/namespaces/envoy-gateway-system/pods';
    const cond = (status: string, observedGeneration: number) => ({ metadata: { name: 'service', generation: 2 }, status: { conditions: [{ type: 'Accepted', status: 'True', observedGeneration }, { type: 'Programmed', status, observedGeneration }] } });
    const pods = (ready: boolean) => ({ kind: 'PodList', metadata: {}, items: [{ metadata: { name: 'envoy-x' }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }] });
    api.responses.set(gw, [200, cond('True', 1)]); // Programmed for an older generation
    api.responses.set(envoy, [200, pods(false)]);
    let done = false;
    const waited = exec.waitGatewayReady('deploy-loss-lab', 'service', 'envoy-gateway-system', 'gateway.envoyproxy.io/owning-gateway-name=service', 20_000).then(() => { done = true; });
    try {
      await until('two Gateway reads', () => api.requests.filter((r) => r.url.startsWith(gw)).length >= 2);
      assert.equal(done, false, 'an old generation\'s Programmed is not this one');
      api.responses.set(gw, [200, cond('True', 2)]);
      await until('an Envoy pod list', () => api.requests.some((r) => r.url.startsWith(`${envoy}?`)));
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(done, false, 'Envoy pods not Ready yet');
      api.responses.set(envoy, [200, pods(true)]);
      await waited;
    } finally {
      api.responses.clear();
    }
  });

  it('the dry run waits for the Gateway before it looks up the Envoy Service and starts k6', async () => {
    const lines = (await planKind({ arm: 'after', reps: 1, rate: 50, deploys: 1, dryRun: true, l7: 'envoy-gateway' }, { env: { KUBE_CONTEXT: undefined, LAB_REGISTRY: undefined } })).map((l) => l.replace(/^\s*\d+\s+/, ''));
    const gw = lines.findIndex((l) => l.startsWith('GET gateway.networking.k8s.io/v1/Gateway deploy-loss-lab/service + LIST v1/Pod envoy-gateway-system?labelSelector=gateway.envoyproxy.io/owning-gateway-name=service'));
    const svc = lines.findIndex((l) => l.startsWith('LIST v1/Service envoy-gateway-system'));
    const k6 = lines.findIndex((l) => /^POST batch\/v1\/Job deploy-loss-lab\/k6-/.test(l));
    assert.ok(gw > 0 && svc > gw && k6 > svc, `${gw} ${svc} ${k6}`);
  });
});

describe('§4 image pulls', () => {
  it('a pod stuck on ErrImagePull / ImagePullBackOff stops the wait at once, naming the image (stub API)', async () => {
    const stuck = (reason: string) => ({ kind: 'PodList', metadata: {}, items: [{ metadata: { name: 'k6-x-abc', namespace: 'deploy-loss-lab' }, spec: { containers: [{ name: 'k6', image: 'grafana/k6:1.8.1' }] }, status: { phase: 'Pending', containerStatuses: [{ name: 'k6', image: 'grafana/k6:1.8.1', restartCount: 0, state: { waiting: { reason, message: 'Back-off pulling image "grafana/k6:1.8.1"' } } }] } }] });
    for (const reason of ['ErrImagePull', 'ImagePullBackOff']) {
      api.responses.set('/api/v1/namespaces/deploy-loss-lab/pods', [200, stuck(reason)]);
      const t = Date.now();
      try {
        await assert.rejects(exec.waitJobPod('deploy-loss-lab', 'k6-x', 120_000), (e) => isLabError(e, 'LAB_IMAGE_PULL') && e.message.includes('image grafana/k6:1.8.1') && e.message.includes(reason));
      } finally {
        api.responses.clear();
      }
      assert.ok(Date.now() - t < 10_000, 'not after the wait\'s timeout');
    }
  });

  it('a Deployment whose new pod cannot get its image stops the wait for it at once (stub API)', async () => {
    api.responses.set('/apis/apps/v1/namespaces/deploy-loss-lab/deployments/service', [200, { metadata: { name: 'service', generation: 1 }, spec: { replicas: 1, selector: { matchLabels: { app: 'service' } } }, status: { observedGeneration: 1, replicas: 1, updatedReplicas: 0, availableReplicas: 0 } }]);
    api.responses.set('/api/v1/namespaces/deploy-loss-lab/pods', [200, { kind: 'PodList', metadata: {}, items: [{ metadata: { name: 'service-x', namespace: 'deploy-loss-lab' }, spec: { containers: [{ name: 'service', image: 'deploy-loss-lab:0123456789ab' }] }, status: { phase: 'Pending', containerStatuses: [{ name: 'service', image: 'deploy-loss-lab:0123456789ab', restartCount: 0, state: { waiting: { reason: 'ErrImageNeverPull' } } }] } }] }]);
    try {
      await assert.rejects(exec.waitDeploymentsAvailable('deploy-loss-lab', ['service'], 60_000), (e) => isLabError(e, 'LAB_IMAGE_PULL') && /service-x, container service: image deploy-loss-lab:0123456789ab: ErrImageNeverPull/.test(e.message));
    } finally {
      api.responses.clear();
    }
  });
});

describe('§3 watches and logs', () => {
  it('resumes a watch from the largest resourceVersion seen, and from "now" after an HTTP 410 (stub API)', async () => {
    const path = '/apis/apps/v1/namespaces/w410/deployments';
    const ev = (rv: string) => JSON.stringify({ type: 'ADDED', object: { metadata: { name: `d${rv}`, resourceVersion: rv } } });
    api.handler = (method, p, url) => {
      if (p !== path) return undefined;
      if (/resourceVersion=12(&|$)/.test(url)) return [410, { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 12' }];
      return [200, `${ev('5')}\n${ev('12')}\n${ev('9')}\n`]; // the initial ADDED events come in no order
    };
    api.requests.length = 0;
    const stop = await exec.watch('w410', () => {});
    const watches = () => api.requests.filter((r) => r.url.startsWith(`${path}?`));
    try {
      await until('three watches', () => watches().length >= 3);
    } finally {
      stop();
      api.handler = undefined;
    }
    assert.match(watches()[1]!.url, /[?&]resourceVersion=12(&|$)/, 'the largest seen, not the last (9)');
    assert.doesNotMatch(watches()[2]!.url, /resourceVersion=/, 'after a 410 status: from now');
  });

  it('follows a container\'s log again after it restarts (stub API)', async () => {
    let restarts = 0;
    const logPath = '/api/v1/namespaces/flw/pods/svc-a/log';
    api.handler = (method, p) => {
      if (p === '/api/v1/namespaces/flw/pods') return [200, { kind: 'PodList', metadata: {}, items: [{ metadata: { name: 'svc-a' }, spec: { containers: [{ name: 'app' }] }, status: { containerStatuses: [{ name: 'app', restartCount: restarts, state: { running: {} } }] } }] }];
      if (p === logPath) return [200, `2026-12-02T08:00:0${restarts}.000000000Z run ${restarts}\n`];
      return undefined;
    };
    const lines: string[] = [];
    const stop = await exec.followLogs('flw', 'app=svc', (_pod, l) => lines.push(l));
    try {
      await until('the first run\'s line', () => lines.some((l) => l.endsWith('run 0')));
      restarts = 1;
      await until('the restarted container\'s line', () => lines.some((l) => l.endsWith('run 1')));
    } finally {
      stop();
      api.handler = undefined;
    }
    assert.equal(api.requests.filter((r) => r.url.startsWith(`${logPath}?`)).length, 2);
  });
});

describe('§3 minor', () => {
  it('k6 dial errors 1200/1202/1210/1213 ("no route to host") are timeouts, as the local generator classes EHOSTUNREACH', () => {
    for (const code of [1200, 1202, 1210, 1213]) assert.equal(classifyK6(code, 0), 'timeout', String(code));
    assert.equal(classifyK6(1212, 0), 'refused');
  });

  it('every Job has ttlSecondsAfterFinished, and a deadline that leaves room for an image pull', async () => {
    const rec = new RecordingExecutor();
    const jobs: any[] = [];
    const create = rec.create.bind(rec);
    rec.create = async (obj) => { if (obj.kind === 'Job') jobs.push(obj); return create(obj); };
    await planKind({ arm: 'after', reps: 1, rate: 50, deploys: 1, dryRun: true }, { env: { KUBE_CONTEXT: undefined, LAB_REGISTRY: undefined }, recorder: rec });
    const o = parseCheckOptions([...CHECK, '--dry-run'], ROOT);
    await runClusterCheck(o, { runId: 'x', say: () => {} }, { exec: rec, access: new RecordingClusterAccess(rec.calls), out: () => {}, root: ROOT });
    assert.deepEqual(jobs.map((j) => j.metadata.name.replace(/-(after-r1-dryrun|dryrun-k6)$/, '')), ['ledger-reset', 'k6', 'ledger-audit', 'check']);
    for (const j of jobs) {
      assert.ok(j.spec.ttlSecondsAfterFinished > 0, j.metadata.name);
      assert.ok(j.spec.activeDeadlineSeconds >= 600, `${j.metadata.name}: a 10 min image pull allowance`);
    }
  });

  it('the rollout wait is derived from the grace period and the rolling-update waves', () => {
    const d = (grace: number, replicas: number, surge: number | string, unavailable: number | string) => deploymentInfo({ spec: { replicas, selector: SELECTOR, strategy: { rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } }, template: { spec: { terminationGracePeriodSeconds: grace, containers: [] } } } } as any);
    assert.equal(rolloutBudgetS(d(30, 2, 1, 0)), 2 * (30 + 60));
    assert.equal(rolloutBudgetS(d(120, 4, '25%', '25%')), 2 * (120 + 60)); // 1 + 1 per wave
    assert.equal(rolloutBudgetS(d(5, 1, 1, 0)), 65);
    assert.equal(d(30, 10, '25%', '25%').maxSurge, 3, 'surge rounds up');
    assert.equal(d(30, 10, '25%', '25%').maxUnavailable, 2, 'unavailable rounds down');
  });

  it('Ctrl-C during the ledger audit still deletes the k6 Job (the CLI, stub API)', async () => {
    const stub = await stubCluster(api, { k6Finishes: true, auditFinishes: false, k6Env: { LAB_DEPLOY_SECONDS: '2', LAB_COOLDOWN_SECONDS: '1' } });
    const dir = mkdtempSync(join(tmpdir(), 'kind-audit-sigint-'));
    writeFileSync(join(dir, 'docker'), '#!/bin/sh\n');
    chmodSync(join(dir, 'docker'), 0o755);
    api.requests.length = 0;
    const child = spawn(process.execPath, ['dist/lab/cli.js', 'before', '--target', 'kind', '--deploys', '1', '--results-dir', join(dir, 'results')], {
      // LAB_KIND_SHORT_PHASES: warm-up 1 s and baseline 2 s before the rollout instead of 4 + 8
      cwd: ROOT, env: { ...process.env, KUBE_CONTEXT: 'fixture', LAB_REGISTRY: 'registry.invalid/lab', LAB_KIND_SHORT_PHASES: '1', KUBECONFIG: join(fixture.dir, 'config'), PATH: `${dir}${delimiter}${process.env.PATH}` }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const audit = () => api.requests.some((r) => r.method === 'POST' && r.body.includes('"name":"ledger-audit-'));
      await until(`the audit Job (stderr: ${stderr})`, () => audit() || child.exitCode !== null, 60_000);
      assert.ok(audit(), stderr);
      const k6 = /"name":"(k6-[^"]+)"/.exec(api.requests.find((r) => r.method === 'POST' && r.body.includes('"name":"k6-'))!.body)![1]!;
      assert.ok(!api.requests.some((r) => r.method === 'DELETE' && r.url.includes(`/jobs/${k6}`)), 'not deleted before the audit');
      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 45_000).unref())]);
      if (code === 'hung') child.kill('SIGKILL');
      assert.equal(code, 130, stderr);
      assert.ok(api.requests.some((r) => r.method === 'DELETE' && r.url.includes(`/jobs/${k6}`)), `no DELETE of Job ${k6}`);
      // every progress line names the context the run changes
      const progress = stderr.split('\n').filter((l) => l.startsWith('[kind'));
      assert.ok(progress.length >= 3, stderr);
      for (const l of progress) assert.match(l, /^\[kind fixture\] /);
    } finally {
      api.handler = undefined;
      await stub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('§4 offline laptops', () => {
  it('the Dockerfile pulls no BuildKit frontend (no # syntax= line)', () => {
    assert.doesNotMatch(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'), /^#\s*syntax\s*=/im);
  });

  it('docs/kind.md names every image and URL the cluster path pulls, with kind load for each image', () => {
    const doc = readFileSync(join(ROOT, 'docs/kind.md'), 'utf8');
    const src = (p: string) => readFileSync(join(ROOT, p), 'utf8');
    const images = new Set<string>();
    for (const m of src('Dockerfile').matchAll(/^FROM (\S+)/gm)) images.add(m[1]!);
    for (const m of src('k8s/kind/cluster.yaml').matchAll(/image: (\S+)/g)) images.add(m[1]!);
    for (const f of ['k8s/rendered/after.yaml', 'k8s/rendered/before.yaml']) for (const m of src(f).matchAll(/image: (\S+)/g)) if (m[1] !== 'deploy-loss-lab:dev') images.add(m[1]!);
    images.add(/K6_IMAGE = '([^']+)'/.exec(src('lab/targets/kind/constants.ts'))![1]!);
    assert.ok(images.size >= 4, [...images].join(' '));
    for (const i of images) {
      assert.ok(doc.includes(i), `docs/kind.md does not name ${i}`);
      if (!i.startsWith('kindest/node') && !i.startsWith('node:')) assert.ok(doc.includes(`kind load docker-image ${i}`), `no kind load line for ${i}`);
    }
    for (const m of src('scripts/kind-cluster.sh').matchAll(/_URL="([^"]+)"/g)) {
      const url = m[1]!.replace('${INGRESS_NGINX_VERSION}', 'controller-v1.15.1').replace('${ENVOY_GATEWAY_VERSION}', 'v1.9.0');
      assert.ok(doc.includes(url), `docs/kind.md does not name ${url}`);
    }
  });
});
