// The Gateway API routing of `--l7 envoy-gateway` (k8s/components/gateway-api, k8s/l7/envoy-gateway,
// rendered to k8s/rendered-l7/) and its route-retry variant (k8s/components/route-retry,
// k8s/l7/envoy-gateway-retry): valid against the Gateway API v1 CRD schemas Envoy Gateway v1.9.0
// installs (recorded in fixtures/), routed to the arm's Service, and reproducible from its sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { ROOT } from '../helpers/proc.js';
import { loadRouteRetry } from '../../lab/targets/local/route-retry.js';
import { K8S, loadRendered, parseDocs } from './manifests.js';

const RENDERED = join(K8S, 'rendered-l7', 'envoy-gateway.yaml');
const RETRY = join(K8S, 'rendered-l7', 'envoy-gateway-retry.yaml');
const objects = (file = RENDERED) => parseDocs(readFileSync(file, 'utf8'), file);
const schemas = JSON.parse(readFileSync(join(ROOT, 'test/k8s/fixtures/gateway-api-v1-schemas.json'), 'utf8')).schemas as Record<string, object>;
// HTTPRoute `retry` is experimental in Gateway API v1.6.1 (Standard from v1.7.0): the channel Envoy
// Gateway v1.9.0's install.yaml applies, recorded beside the standard schemas (source in the file).
const experimental = JSON.parse(readFileSync(join(ROOT, 'test/k8s/fixtures/gateway-api-v1-experimental-httproute-schema.json'), 'utf8')).schemas as Record<string, any>;

test('the Gateway API objects validate against the Gateway API v1 CRD schemas', () => {
  // CRD schemas carry Kubernetes extensions (x-kubernetes-*) that are not JSON Schema keywords.
  const ajv = new Ajv({ strict: false, allErrors: true });
  const gw = objects().filter((o) => ['GatewayClass', 'Gateway', 'HTTPRoute'].includes(o.kind));
  assert.deepEqual(gw.map((o) => o.kind).sort(), ['Gateway', 'GatewayClass', 'HTTPRoute']);
  for (const o of gw) {
    assert.equal(o.apiVersion, 'gateway.networking.k8s.io/v1');
    const validate = ajv.compile(schemas[o.kind]!);
    assert.ok(validate(o), `${o.kind}/${o.metadata.name}: ${JSON.stringify(validate.errors)}`);
  }
  // and the schema is strict enough to catch a mistake
  const bad = ajv.compile(schemas.HTTPRoute!);
  assert.equal(bad({ ...gw.find((o) => o.kind === 'HTTPRoute'), spec: { rules: [{ backendRefs: [{ name: 'service', port: 'http' }] }] } }), false);
});

test('the route replaces the Ingress and reaches the same Service port', () => {
  const all = objects();
  assert.equal(all.filter((o) => o.kind === 'Ingress').length, 0, 'the component removes the Ingress');
  const cls = all.find((o) => o.kind === 'GatewayClass') as any;
  assert.equal(cls.spec.controllerName, 'gateway.envoyproxy.io/gatewayclass-controller');
  assert.equal(cls.metadata.namespace, undefined, 'GatewayClass is cluster-scoped');
  const gw = all.find((o) => o.kind === 'Gateway') as any;
  const route = all.find((o) => o.kind === 'HTTPRoute') as any;
  for (const o of [gw, route]) assert.equal(o.metadata.namespace, 'deploy-loss-lab');
  assert.equal(gw.spec.gatewayClassName, cls.metadata.name);
  assert.deepEqual(route.spec.parentRefs, [{ name: gw.metadata.name, sectionName: gw.spec.listeners[0].name }]);
  const svc = loadRendered('after').find((o) => o.kind === 'Service' && o.metadata.name === 'service') as any;
  const ref = route.spec.rules[0].backendRefs[0];
  assert.equal(ref.name, svc.metadata.name);
  assert.ok(svc.spec.ports.some((p: any) => p.port === ref.port), `Service service has no port ${ref.port}`);
});

test('the route-retry variant: the same objects plus `retry` on the HTTPRoute rule, valid for the CRD Envoy Gateway installs', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate: { (x: unknown): boolean; errors?: unknown } = ajv.compile(experimental.HTTPRoute);
  const withRetry = objects(RETRY);
  const route = withRetry.find((o) => o.kind === 'HTTPRoute') as any;
  assert.ok(validate(route), JSON.stringify(validate.errors));
  assert.deepEqual(route.spec.rules[0].retry, { attempts: 2, backoff: '100ms', codes: [503] });
  // one lever: take the retry away and the objects are the plain envoy-gateway path's
  delete route.spec.rules[0].retry;
  assert.deepEqual(withRetry, objects());
  // the local target reads the same field with the CRD's rules
  const r = loadRouteRetry(RETRY);
  assert.deepEqual(r && { codes: r.codes, retries: r.retries, base: r.baseBackoffMs }, { codes: [503], retries: 2, base: 100 });
  assert.equal(loadRouteRetry(RENDERED), undefined);
  // the standard v1.6.1 schema has no retry field (an API server there would prune it), and the
  // experimental one refuses what parseRouteRetry refuses
  const stdRule = (schemas.HTTPRoute as any).properties.spec.properties.rules.items.properties;
  assert.equal(stdRule.retry, undefined);
  const bad = (retry: object) => ({ ...route, spec: { ...route.spec, rules: [{ ...route.spec.rules[0], retry }] } });
  for (const retry of [{ attempts: 0 }, { codes: [600] }, { backoff: '1.5s' }]) assert.equal(validate(bad(retry)), false, JSON.stringify(retry));
});
