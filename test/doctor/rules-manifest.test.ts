// Manifest rules (issue 22 item 7): a Service selecting no pod, removed API versions, probe ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byId, deployment, doctorOn, goodServed, service } from './fixtures.js';

test('manifest-dangling-service: a selector no pod template carries is a warning; info beside custom resources; no selector is not found', async () => {
  const [f] = byId(await doctorOn([deployment('app', goodServed()), service('app'), service('typo', { app: 'ap' })]), 'manifest-dangling-service');
  assert.equal(f?.object, 'Service/typo');
  assert.equal(f?.severity, 'warning');
  const prom = { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'k8s' }, spec: {} };
  assert.equal(byId(await doctorOn([deployment('app', goodServed()), service('prometheus', { app: 'prometheus' }), prom]), 'manifest-dangling-service')[0]?.severity, 'info');
  const external = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } };
  assert.deepEqual(byId(await doctorOn([deployment('app', goodServed()), service('app'), external]), 'manifest-dangling-service'), []);
  // pods of an ignored object, a Job or a CronJob count as selected
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { metadata: { labels: { app: 'j' } }, spec: { containers: [{ name: 'j', image: 'x' }] } } } };
  assert.deepEqual(byId(await doctorOn([job, service('j')]), 'manifest-dangling-service'), []);
});

test('manifest-removed-api: extensions/v1beta1 and apps/v1beta2 Deployments, policy/v1beta1 PDBs, with the replacement as a patch', async () => {
  const old = (apiVersion: string) => ({ ...deployment('app', goodServed()), apiVersion });
  for (const v of ['extensions/v1beta1', 'apps/v1beta1', 'apps/v1beta2']) {
    const [f] = byId(await doctorOn([old(v), service('app')]), 'manifest-removed-api');
    assert.equal(f?.severity, 'error', v);
    assert.match(f!.why, new RegExp(`apiVersion ${v.replace('/', '\\/')}, which Kubernetes 1\\.16`));
    assert.deepEqual(f!.patch, [{ path: ['apiVersion'], value: 'apps/v1' }]);
  }
  const pdb = { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'app' } } } };
  assert.equal(byId(await doctorOn([deployment('app', goodServed()), service('app'), pdb]), 'manifest-removed-api')[0]?.object, 'PodDisruptionBudget/p');
  const ing = { apiVersion: 'networking.k8s.io/v1beta1', kind: 'Ingress', metadata: { name: 'i' }, spec: {} };
  assert.equal(byId(await doctorOn([deployment('app', goodServed()), ing]), 'manifest-removed-api').length, 1);
  assert.deepEqual(byId(await doctorOn([deployment('app', goodServed()), service('app')]), 'manifest-removed-api'), []);
});

test('manifest-probe-port: a named port the container lacks is an error; an undeclared number is info; declared ports are not found', async () => {
  const probe = (port: string | number) => goodServed({ livenessProbe: { httpGet: { path: '/healthz', port } } });
  const [named] = byId(await doctorOn([deployment('app', probe('healthz')), service('app')]), 'manifest-probe-port');
  assert.equal(named?.severity, 'error');
  assert.equal(named?.path, 'spec.template.spec.containers[0].livenessProbe.httpGet.port');
  assert.match(named!.why, /named port "healthz", which the container does not declare \(http\)/);
  assert.equal(byId(await doctorOn([deployment('app', probe(9999)), service('app')]), 'manifest-probe-port')[0]?.severity, 'info');
  assert.deepEqual(byId(await doctorOn([deployment('app', probe(8080)), service('app')]), 'manifest-probe-port'), []);
  assert.deepEqual(byId(await doctorOn([deployment('app', probe('http')), service('app')]), 'manifest-probe-port'), []);
  const tcp = goodServed({ readinessProbe: { tcpSocket: { port: 'grpc' } } });
  assert.equal(byId(await doctorOn([deployment('app', tcp), service('app')]), 'manifest-probe-port').length, 1);
});
