import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigMap } from 'kubernetes-models/v1';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { RecordingExecutor } from '../../lab/targets/kind/recording-executor.js';
import { NEEDED, RecordingClusterAccess } from '../../lab/tools/check/cluster-access.js';
import { parseCheckOptions } from '../../lab/tools/check/options.js';
import { checkJob, runClusterCheck, scriptConfigMap } from '../../lab/tools/check/run-cluster.js';
import { checkScenario } from '../../lab/tools/check/phases.js';
import { ROOT } from '../helpers/proc.js';

// The cluster mode without a cluster: the dry run's ordered API calls, and the two objects it
// creates validated against the Kubernetes schemas (kubernetes-models).

const ARGS = ['--context', 'prod', '--namespace', 'shop', '--deployment', 'orders', '--url', 'http://orders.shop:8080',
  '--route', 'GET:/orders*3', '--route', `POST:/orders@${ROOT}/examples/order.json`, '--deploys', '3', '--dry-run'];

async function dryRun(): Promise<string[]> {
  const o = parseCheckOptions(ARGS, ROOT);
  const rec = new RecordingExecutor();
  const out: string[] = [];
  const m = await runClusterCheck(o, { runId: 'x', say: () => {} }, { exec: rec, access: new RecordingClusterAccess(rec.calls), out: (l) => out.push(l), root: ROOT });
  assert.equal(m, undefined, 'a dry run measures nothing');
  return out.slice(1).map((l) => l.replace(/^\s*\d+\s+/, ''));
}

describe('check --context … --dry-run', () => {
  it('reviews access first, changes only the restarts and its own Job/ConfigMap, and deletes them', async () => {
    const calls = await dryRun();
    const firstWrite = calls.findIndex((c) => /^(POST v1|POST batch|PATCH|DELETE)/.test(c));
    const reviews = calls.filter((c) => c.includes('SelfSubjectAccessReview'));
    assert.equal(reviews.length, NEEDED.length, 'one review per permission of the preflight (lab/tools/check/cluster-access.ts)');
    assert.ok(calls.slice(0, firstWrite).filter((c) => c.includes('SelfSubjectAccessReview')).length === NEEDED.length, 'every review precedes every write');
    const writes = calls.filter((c) => /^(POST|PATCH|DELETE) /.test(c) && !c.includes('SelfSubjectAccessReview'));
    assert.deepEqual(writes.map((c) => c.split(' (')[0]), [
      'POST v1/ConfigMap shop/check-dryrun-k6',
      'POST batch/v1/Job shop/check-dryrun-k6',
      'PATCH apps/v1/Deployment shop/orders',
      'PATCH apps/v1/Deployment shop/orders',
      'PATCH apps/v1/Deployment shop/orders',
      'DELETE batch/v1/Job shop/check-dryrun-k6',
      'DELETE v1/ConfigMap shop/check-dryrun-k6',
    ]);
    assert.ok(writes.filter((c) => c.startsWith('PATCH')).every((c) => c.includes('kubectl.kubernetes.io/restartedAt')), 'a restart is the restartedAt annotation only');
    for (const w of ['WATCH v1/Pod shop', 'WATCH discovery.k8s.io/v1/EndpointSlice shop', 'WATCH v1/Event shop']) assert.ok(calls.includes(w), w);
  });

  it('the k6 Job and its script ConfigMap are valid objects in the user namespace', () => {
    const o = parseCheckOptions(ARGS, ROOT);
    const plan = { warmupSeconds: 3, baselineSeconds: 5, deploySeconds: 364, cooldownSeconds: 3 };
    const job: any = checkJob(o, 'check-x-k6', 'check-x-k6', 'check-x', plan);
    new Job(job).validate();
    assert.equal(job.metadata.namespace, 'shop');
    assert.equal(job.spec.template.spec.volumes.find((v: any) => v.configMap).configMap.name, 'check-x-k6');
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(env.LAB_L4_URL, 'http://orders.shop:8080');
    assert.equal(env.LAB_PATHS, 'l4');
    const cm: any = scriptConfigMap('check-x-k6', 'shop', 'check-x', checkScenario(o.routes, o.rate, o.deploys), ROOT);
    new ConfigMap(cm).validate();
    const scenario = JSON.parse(cm.data['scenario.json']);
    assert.deepEqual(scenario.mix.map((m: any) => `${m.method} ${m.path} ${m.weight}`), ['GET /orders 3', 'POST /orders 1']);
    assert.equal(JSON.parse(scenario.mix[1].body).item, 'book', 'the route body file travels to k6');
  });
});
