// The Gateway API routing of `--l7 envoy-gateway` (k8s/components/gateway-api, k8s/l7/envoy-gateway,
// rendered to k8s/rendered-l7/): valid against the Gateway API v1 CRD schemas Envoy Gateway v1.9.0
// installs (recorded in fixtures/gateway-api-v1-schemas.json), routed to the arm's Service, and
// reproducible from its sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { ROOT } from '../helpers/proc.js';
import { K8S, NO_KUBECTL, RENDER_SH, copyK8s, hasKubectl, loadRendered, parseDocs } from './manifests.js';

const RENDERED = join(K8S, 'rendered-l7', 'envoy-gateway.yaml');
const objects = () => parseDocs(readFileSync(RENDERED, 'utf8'), RENDERED);
const schemas = JSON.parse(readFileSync(join(ROOT, 'test/k8s/fixtures/gateway-api-v1-schemas.json'), 'utf8')).schemas as Record<string, object>;

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

test('re-rendering reproduces k8s/rendered-l7 byte for byte', (t) => {
  if (!hasKubectl()) { t.skip(NO_KUBECTL); return; }
  const copy = copyK8s();
  try {
    cpSync(join(K8S, 'l7'), join(copy.k8s, 'l7'), { recursive: true });
    const r = spawnSync(RENDER_SH, [], { env: { ...process.env, K8S_DIR: copy.k8s, SKIP_BUILD: '1' }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `render.sh failed: ${r.stderr}`);
    assert.ok(readFileSync(join(copy.k8s, 'rendered-l7', 'envoy-gateway.yaml'), 'utf8') === readFileSync(RENDERED, 'utf8'), 'k8s/rendered-l7/envoy-gateway.yaml differs from its sources: run `make render`');
  } finally {
    copy.remove();
  }
});
