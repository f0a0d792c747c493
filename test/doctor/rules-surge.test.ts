import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byId, container, deployment, doctorOn } from './fixtures.js';

const pdb = (spec: Record<string, any>) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'app' }, spec: { selector: { matchLabels: { app: 'app' } }, ...spec } });
const strategy = (rollingUpdate: Record<string, any>) => ({ strategy: { type: 'RollingUpdate', rollingUpdate } });

test('surge-no-surge: maxUnavailable > 0 with maxSurge 0 is found (percentages resolved); surge 1 or the defaults are not', async () => {
  const [f] = byId(await doctorOn([deployment('app', container(), strategy({ maxSurge: 0, maxUnavailable: '50%' }))]), 'surge-no-surge');
  assert.ok(f);
  assert.equal(f.path, 'spec.strategy.rollingUpdate');
  assert.match(f.why, /maxUnavailable 1 takes 1 of 3/);
  assert.deepEqual(byId(await doctorOn([deployment('app', container())]), 'surge-no-surge'), []);
  assert.deepEqual(byId(await doctorOn([deployment('app', container(), { strategy: undefined, replicas: 4 })]), 'surge-no-surge'), []);
});

test('surge-recreate: the Recreate strategy is found; RollingUpdate is not', async () => {
  assert.equal(byId(await doctorOn([deployment('app', container(), { strategy: { type: 'Recreate' } })]), 'surge-recreate').length, 1);
  assert.deepEqual(byId(await doctorOn([deployment('app', container())]), 'surge-recreate'), []);
});

test('surge-single-replica: one replica (also by default) is found; two, or an HPA with minReplicas 2, are not', async () => {
  assert.equal(byId(await doctorOn([deployment('app', container(), { replicas: 1 })]), 'surge-single-replica').length, 1);
  const [d] = byId(await doctorOn([deployment('app', container(), { replicas: undefined })]), 'surge-single-replica');
  assert.match(d!.why, /default spec\.replicas/);
  assert.deepEqual(byId(await doctorOn([deployment('app', container(), { replicas: 2 })]), 'surge-single-replica'), []);
  const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'app' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'app' }, minReplicas: 2, maxReplicas: 5 } };
  assert.deepEqual(byId(await doctorOn([deployment('app', container(), { replicas: undefined }), hpa]), 'surge-single-replica'), []);
});

test('surge-pdb-blocks-eviction: maxUnavailable 0 or minAvailable = replicas is found; one allowed disruption is not', async () => {
  const [f] = byId(await doctorOn([deployment('app', container()), pdb({ maxUnavailable: 0 })]), 'surge-pdb-blocks-eviction');
  assert.ok(f);
  assert.equal(f.object, 'PodDisruptionBudget/app');
  assert.equal(f.path, 'spec.maxUnavailable');
  assert.equal(byId(await doctorOn([deployment('app', container()), pdb({ minAvailable: 3 })]), 'surge-pdb-blocks-eviction').length, 1);
  assert.equal(byId(await doctorOn([deployment('app', container()), pdb({ minAvailable: '100%' })]), 'surge-pdb-blocks-eviction').length, 1);
  assert.deepEqual(byId(await doctorOn([deployment('app', container()), pdb({ maxUnavailable: 1 })]), 'surge-pdb-blocks-eviction'), []);
  assert.deepEqual(byId(await doctorOn([deployment('app', container()), pdb({ minAvailable: 2 })]), 'surge-pdb-blocks-eviction'), []);
});
