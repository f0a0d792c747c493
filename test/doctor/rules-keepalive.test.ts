// keepalive-*: the app's idle keep-alive timeout against the proxy's in front (lab/tools/doctor/idle-timeouts.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationSeconds } from '../../lab/tools/doctor/rules/keepalive.js';
import { byId, deployment, doctorOn, env, goodServed, service } from './fixtures.js';

type Obj = Record<string, any>;
const app = (vars: Record<string, string>, over: Obj = {}) => deployment('web', goodServed({ env: env({ SHUTDOWN_DEADLINE_MS: '5000', ...vars }), ...over }));
const ingress = (cls: string | undefined, annotations: Record<string, string> = {}) => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', annotations },
  spec: { ...(cls ? { ingressClassName: cls } : {}), rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
});
const nginxConfig = (seconds: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx' }, data: { 'upstream-keepalive-timeout': seconds } });
const btp = (idle?: string) => ({
  apiVersion: 'gateway.envoyproxy.io/v1alpha1', kind: 'BackendTrafficPolicy', metadata: { name: 'web' },
  spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'web' }], ...(idle ? { timeout: { http: { connectionIdleTimeout: idle } } } : {}) },
});
const keepalive = async (objs: Obj[]) => (await doctorOn(objs)).findings.filter((f) => f.lever === 'keepalive');

test('keepalive-shorter-than-proxy: Node\'s old 5 s behind an nginx Ingress is an error naming both numbers; 65 s is clean', async () => {
  const [f, ...rest] = await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '5000' }), service('web'), ingress('nginx')]);
  assert.equal(rest.length, 0, JSON.stringify(rest));
  assert.equal(f?.id, 'keepalive-shorter-than-proxy');
  assert.equal(f.severity, 'error');
  assert.equal(f.path, 'spec.template.spec.containers[0].env');
  assert.match(f.why, /after 5 s \(env KEEPALIVE_TIMEOUT_MS=5000\).*ingress-nginx's default upstream-keepalive-timeout keeps it for reuse 60 s/);
  assert.match(f.fix, /above 60 s/);
  assert.deepEqual(await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '65000', HEADERS_TIMEOUT_MS: '66000' }), service('web'), ingress('nginx')]), []);
});

test('keepalive-shorter-than-proxy: equal is not enough (the proxy may reuse at the very instant the app closes)', async () => {
  const [f] = await keepalive([app({ KEEPALIVE_TIMEOUT_SECONDS: '60' }), service('web'), ingress('nginx')]);
  assert.equal(f?.id, 'keepalive-shorter-than-proxy');
});

test('the proxy\'s own setting wins over its default: ingress-nginx ConfigMap, Envoy Gateway policy, ALB annotation', async () => {
  // ConfigMap lowered to 5 s (as GitLab's chart did): an app at 30 s is now safe behind it
  assert.deepEqual(await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '30000' }), service('web'), ingress('nginx'), nginxConfig('5')]), []);
  const [cm] = await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '30000' }), service('web'), nginxConfig('120')]);
  assert.match(cm!.why, /ConfigMap\/ingress-nginx-controller upstream-keepalive-timeout \(ingress-nginx\) keeps it for reuse 120 s/);
  // Envoy Gateway: 1 h unless the policy says otherwise
  const [eg] = await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '65000' }), service('web'), btp()]);
  assert.match(eg!.why, /Envoy's default 1 h keeps it for reuse 3600 s/);
  assert.deepEqual(await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '65000' }), service('web'), btp('15s')]), []);
  const [eg2] = await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '10000' }), service('web'), btp('1m')]);
  assert.match(eg2!.why, /connectionIdleTimeout \(Envoy Gateway\) keeps it for reuse 60 s/);
  // AWS ALB: the annotation's idle_timeout.timeout_seconds, else 60 s for class alb
  const alb = (v: string) => ingress('alb', { 'alb.ingress.kubernetes.io/load-balancer-attributes': `deletion_protection.enabled=true,idle_timeout.timeout_seconds=${v}` });
  const [a] = await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '65000' }), service('web'), alb('120')]);
  assert.match(a!.why, /idle_timeout\.timeout_seconds keeps it for reuse 120 s/);
  assert.deepEqual(await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '65000' }), service('web'), alb('30')]), []);
  assert.equal((await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '5000' }), service('web'), ingress('alb')]))[0]?.severity, 'error');
});

test('no proxy in the input: compared with the common 60 s, as a warning; flags are read too', async () => {
  const [w] = await keepalive([app({}, { command: ['uvicorn', 'main:app', '--timeout-keep-alive', '5'] }), service('web')]);
  assert.equal(w?.id, 'keepalive-shorter-than-proxy');
  assert.equal(w.severity, 'warning');
  assert.match(w.why, /after 5 s \(--timeout-keep-alive 5\)/);
  assert.deepEqual(await keepalive([app({}, { args: ['--keep-alive-timeout=75'] }), service('web')]), []);
});

test('keepalive-headers-order: a headers timeout not above the keep-alive timeout is a warning', async () => {
  const [f] = await keepalive([app({ KEEPALIVE_TIMEOUT_MS: '65000', HEADERS_TIMEOUT_MS: '60000' }), service('web'), ingress('nginx')]);
  assert.equal(f?.id, 'keepalive-headers-order');
  assert.equal(f.severity, 'warning');
  assert.match(f.why, /headers timeout 60 s .* not above the keep-alive timeout 65 s/);
});

test('keepalive-unknown: a served app whose timeout the manifest does not state gets an info saying how to verify; an unserved one nothing', async () => {
  const [i] = await keepalive([app({}), service('web'), ingress('nginx')]);
  assert.equal(i?.id, 'keepalive-unknown');
  assert.equal(i.severity, 'info');
  assert.match(i.why, /ingress-nginx's default upstream-keepalive-timeout: 60 s/);
  assert.match(i.fix, /curl -sv .*Keep-Alive: timeout=N/);
  assert.deepEqual(await keepalive([app({})]), []);
  // a value the manifest takes from elsewhere is not a number the doctor can read
  const fromRef = deployment('web', goodServed({ env: [{ name: 'KEEPALIVE_TIMEOUT_MS', valueFrom: { configMapKeyRef: { name: 'x', key: 'y' } } }] }));
  assert.equal((await keepalive([fromRef, service('web')]))[0]?.id, 'keepalive-unknown');
});

test('durations as Gateway API writes them', () => {
  assert.equal(durationSeconds('1h'), 3600);
  assert.equal(durationSeconds('1m30s'), 90);
  assert.equal(durationSeconds('500ms'), 0.5);
  assert.equal(durationSeconds('15s'), 15);
  assert.equal(durationSeconds(''), undefined);
  assert.equal(durationSeconds('soon'), undefined);
  assert.equal(durationSeconds(15), undefined);
});
