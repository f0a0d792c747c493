// Capacity rules added for issue 22: all pods unavailable at once, singletons that are not alone or
// serve only metrics, PDBs missing or blocking, static replicas under an HPA, ReplicationControllers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byId, container, deployment, doctorOn, goodServed, service } from './fixtures.js';

const strategy = (rollingUpdate: Record<string, any>) => ({ strategy: { type: 'RollingUpdate', rollingUpdate } });
const pdb = (name: string, spec: Record<string, any>) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec });
const hpa = (target: string, minReplicas = 2) => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: target }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas, maxReplicas: 5 } });
const metricsSvc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'metrics', port: 9090 }] } });

test('surge-all-unavailable: maxUnavailable "100%", or 1 with one replica, is an error; 1 of 3 is not', async () => {
  for (const [ru, replicas] of [[{ maxSurge: 1, maxUnavailable: '100%' }, 3], [{ maxSurge: 0, maxUnavailable: 1 }, 1], [{ maxSurge: 1, maxUnavailable: 1 }, 1]] as const) {
    const r = await doctorOn([deployment('app', goodServed(), { ...strategy(ru), replicas }), service('app')]);
    const [f] = byId(r, 'surge-all-unavailable');
    assert.equal(f?.severity, 'error', JSON.stringify(ru));
    assert.match(f!.why, /drops to zero ready pods/);
    assert.deepEqual(byId(r, 'surge-no-surge'), [], 'one finding, not two');
    assert.deepEqual(f!.patch, [{ path: ['spec', 'strategy'], value: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }]);
  }
  assert.deepEqual(byId(await doctorOn([deployment('app', goodServed(), strategy({ maxSurge: 1, maxUnavailable: 1 })), service('app')]), 'surge-all-unavailable'), []);
});

test('a Recreate singleton whose only Service serves metrics is info, with the reason; behind a traffic Service an error', async () => {
  const recreate = { replicas: 1, strategy: { type: 'Recreate' } };
  const r = await doctorOn([deployment('exporter', goodServed(), recreate), metricsSvc('exporter')]);
  const [f] = byId(r, 'surge-recreate');
  assert.equal(f?.severity, 'info');
  assert.match(f!.why, /only monitoring reaches it/);
  assert.equal(byId(r, 'surge-single-replica')[0]?.severity, 'info');
  assert.equal(byId(await doctorOn([deployment('web', goodServed(), recreate), service('web')]), 'surge-recreate')[0]?.severity, 'error');
});

test('a one-replica Deployment sharing its Service with two others is not told it "leaves no pod to serve"', async () => {
  const tier = (name: string, replicas: number) => {
    const d = deployment(name, goodServed(), { replicas });
    d.spec.template.metadata.labels.tier = 'web';
    return d;
  };
  const r = await doctorOn([tier('a', 1), tier('b', 2), tier('c', 2), service('web', { tier: 'web' })]);
  const [f] = byId(r, 'surge-single-replica');
  assert.equal(f?.severity, 'info');
  assert.doesNotMatch(f!.why, /leaves no pod to serve/);
  assert.match(f!.why, /also routes to Deployment\/b, Deployment\/c/);
  // alone behind its Service it is the warning it was
  const [alone] = byId(await doctorOn([deployment('a', goodServed(), { replicas: 1 }), service('a')]), 'surge-single-replica');
  assert.equal(alone?.severity, 'warning');
  assert.match(alone!.why, /leaves no pod to serve/);
});

test('surge-pdb-missing: a replicated Deployment behind a Service without a PDB; a PDB by matchExpressions counts', async () => {
  const [f] = byId(await doctorOn([deployment('app', goodServed()), service('app')]), 'surge-pdb-missing');
  assert.equal(f?.severity, 'warning');
  assert.deepEqual(byId(await doctorOn([deployment('app', goodServed()), service('app'), pdb('app', { maxUnavailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['app'] }] } })]), 'surge-pdb-missing'), []);
  // one replica, or no Service: not this rule's business
  assert.deepEqual(byId(await doctorOn([deployment('app', goodServed(), { replicas: 1 }), service('app')]), 'surge-pdb-missing'), []);
  assert.deepEqual(byId(await doctorOn([deployment('app', container({ ports: undefined }))]), 'surge-pdb-missing'), []);
});

test('surge-pdb-blocks-eviction: a percentage minAvailable that rounds up to every replica is found, with a patch', async () => {
  const [f] = byId(await doctorOn([deployment('app', goodServed()), service('app'), pdb('app', { minAvailable: '67%', selector: { matchLabels: { app: 'app' } } })]), 'surge-pdb-blocks-eviction');
  assert.ok(f);
  assert.deepEqual(f.patch, [{ path: ['spec', 'minAvailable'], value: null }, { path: ['spec', 'maxUnavailable'], value: 1 }]);
  assert.deepEqual(byId(await doctorOn([deployment('app', goodServed()), service('app'), pdb('app', { minAvailable: '50%', selector: { matchLabels: { app: 'app' } } })]), 'surge-pdb-blocks-eviction'), []);
});

test('surge-replicas-with-hpa: static spec.replicas under an HPA is found, with a patch deleting it; without replicas not', async () => {
  const [f] = byId(await doctorOn([deployment('app', goodServed()), service('app'), hpa('app')]), 'surge-replicas-with-hpa');
  assert.ok(f);
  assert.match(f.why, /every apply resets the count/);
  assert.deepEqual(f.patch, [{ path: ['spec', 'replicas'], value: null }]);
  assert.deepEqual(byId(await doctorOn([deployment('app', goodServed(), { replicas: undefined }), service('app'), hpa('app')]), 'surge-replicas-with-hpa'), []);
});

test('a ReplicationController is checked like a Deployment and told it has no rollout strategy', async () => {
  const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'legacy' }, spec: { replicas: 1, selector: { app: 'legacy' }, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [container({ command: ['sh', '-c', 'node server.js'] })] } } } };
  const r = await doctorOn([rc, service('legacy')]);
  const ids = new Set(r.findings.map((f) => f.id));
  for (const id of ['surge-replication-controller', 'surge-single-replica', 'readiness-probe-missing', 'readiness-prestop-missing', 'pid1-shell-wrapper']) assert.ok(ids.has(id), `${id}: ${[...ids]}`);
  assert.deepEqual(r.ignored, []);
});
