import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byId, container, deployment, doctorOn, goodServed, ids, service } from './fixtures.js';

const served = (c: Record<string, any>, opts = {}) => doctorOn([deployment('app', c), service('app')], opts);

test('readiness-probe-missing: a container behind a Service without a probe is found; with a probe, or not behind a Service, not', async () => {
  const r = await served(goodServed({ readinessProbe: undefined }));
  const [f] = byId(r, 'readiness-probe-missing');
  assert.ok(f, ids(r).join());
  assert.equal(f.path, 'spec.template.spec.containers[0].readinessProbe');
  assert.match(f.why, /502/);
  assert.deepEqual(byId(await served(goodServed()), 'readiness-probe-missing'), []);
  const unserved = await doctorOn([deployment('app', goodServed({ readinessProbe: undefined })), service('other', { app: 'other' })]);
  assert.deepEqual(byId(unserved, 'readiness-probe-missing'), []);
});

test('readiness-same-as-liveness: same endpoint and thresholds is found; a different endpoint or threshold is not', async () => {
  const probe = { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 };
  assert.equal(byId(await served(goodServed({ readinessProbe: probe, livenessProbe: { ...probe, failureThreshold: 3 } })), 'readiness-same-as-liveness').length, 1);
  assert.deepEqual(byId(await served(goodServed()), 'readiness-same-as-liveness'), []);
  assert.deepEqual(byId(await served(goodServed({ readinessProbe: probe, livenessProbe: { ...probe, failureThreshold: 6 } })), 'readiness-same-as-liveness'), []);
});

test('readiness-prestop-missing: no preStop behind a Service is found, with a sized fix; a long enough one is not', async () => {
  const [f] = byId(await served(goodServed({ lifecycle: undefined }), { deregistrationS: 2 }), 'readiness-prestop-missing');
  assert.ok(f);
  assert.match(f.why, /deregistration 2 s \(--deregistration-s\) \+ readiness detection 1 s/);
  assert.match(f.fix, /sleep\.seconds: 3/);
  assert.deepEqual(byId(await served(goodServed(), { deregistrationS: 2 }), 'readiness-prestop-missing'), []);
});

test('readiness-prestop-short: preStop < deregistration + probe period × failureThreshold is found; equal is not', async () => {
  const probe = { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2, failureThreshold: 2 };
  const c = (s: number) => goodServed({ readinessProbe: probe, lifecycle: { preStop: { sleep: { seconds: s } } } });
  const [f] = byId(await served(c(5), { deregistrationS: 1.5 }), 'readiness-prestop-short');
  assert.ok(f);
  assert.match(f.why, /waits 5 s, less than .* = 5\.5 s/);
  assert.deepEqual(byId(await served(c(6), { deregistrationS: 1.5 }), 'readiness-prestop-short'), []);
  // an exec sleep counts the same way
  assert.equal(byId(await served(goodServed({ lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 1'] } } } }), { deregistrationS: 3 }), 'readiness-prestop-short').length, 1);
});

test('readiness-prestop-exec-sleep: an exec sleep is found; the native sleep action is not', async () => {
  const [f] = byId(await served(goodServed({ lifecycle: { preStop: { exec: { command: ['sleep', '3'] } } } })), 'readiness-prestop-exec-sleep');
  assert.ok(f);
  assert.match(f.fix, /preStop\.sleep\.seconds: 3/);
  assert.deepEqual(byId(await served(goodServed()), 'readiness-prestop-exec-sleep'), []);
  // not behind a Service: no preStop rules at all
  assert.deepEqual(ids(await doctorOn([deployment('w', container({ ports: undefined, lifecycle: { preStop: { exec: { command: ['sleep', '3'] } } } })), service('x', { app: 'x' })])).filter((i) => i.startsWith('readiness')), []);
});
