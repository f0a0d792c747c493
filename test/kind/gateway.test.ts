import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isLabError } from '../../common/errors.js';
import { RecordingExecutor } from '../../lab/targets/kind/recording-executor.js';
import { planKind } from '../../lab/targets/kind/run.js';
import { loadL7Objects } from '../../lab/targets/kind/manifest.js';
import { ROOT } from '../helpers/proc.js';

// The kind dry run with `--l7 envoy-gateway`: the arm's objects without its Ingress plus the
// Gateway API objects of k8s/rendered-l7/envoy-gateway.yaml, and k6's L7 half sent to the Envoy
// Service Envoy Gateway creates for the Gateway.

const env = { KUBE_CONTEXT: undefined, LAB_REGISTRY: undefined };
const body = (lines: string[]) => lines.slice(1).map((l) => l.replace(/^\s*\d+\s+/, ''));

describe('kind dry run, L7 envoy-gateway', () => {
  it('applies GatewayClass, Gateway and HTTPRoute instead of the Ingress, and finds the Envoy Service', async () => {
    const lines = body(await planKind({ arm: 'after', reps: 1, rate: 50, deploys: 1, dryRun: true, l7: 'envoy-gateway' }, { env }));
    const applies = lines.filter((l) => l.startsWith('PATCH') && l.includes('apply-patch+yaml'));
    assert.ok(!applies.some((l) => / networking\.k8s\.io\/v1\/Ingress /.test(l)), 'no Ingress applied');
    assert.ok(applies.some((l) => l.startsWith('PATCH gateway.networking.k8s.io/v1/GatewayClass deploy-loss-lab ')));
    assert.ok(applies.some((l) => l.startsWith('PATCH gateway.networking.k8s.io/v1/Gateway deploy-loss-lab/service ')));
    assert.ok(applies.some((l) => l.startsWith('PATCH gateway.networking.k8s.io/v1/HTTPRoute deploy-loss-lab/service ')));
    const del = lines.findIndex((l) => l.startsWith('DELETE networking.k8s.io/v1/Ingress deploy-loss-lab/service'));
    const svc = lines.findIndex((l) => l.startsWith('LIST v1/Service envoy-gateway-system?labelSelector=gateway.envoyproxy.io/owning-gateway-name=service,gateway.envoyproxy.io/owning-gateway-namespace=deploy-loss-lab'));
    const k6 = lines.findIndex((l) => /^POST batch\/v1\/Job deploy-loss-lab\/k6-/.test(l));
    assert.ok(del > 0 && svc > del && k6 > svc, `order: delete Ingress ${del}, find Envoy Service ${svc}, k6 ${k6}`);
    assert.ok(!lines.some((l) => l.includes('ingress-nginx')), 'no ingress-nginx log follow on this path');
  });

  it('envoy-gateway-retry: the same path, its HTTPRoute carrying the retry of k8s/rendered-l7/envoy-gateway-retry.yaml', async () => {
    const lines = body(await planKind({ arm: 'after', reps: 1, rate: 50, deploys: 1, dryRun: true, l7: 'envoy-gateway-retry' }, { env }));
    assert.ok(lines.some((l) => l.startsWith('PATCH gateway.networking.k8s.io/v1/HTTPRoute deploy-loss-lab/service ')));
    assert.ok(lines.some((l) => l.startsWith('DELETE networking.k8s.io/v1/Ingress deploy-loss-lab/service')));
    assert.ok(lines.some((l) => l.startsWith('LIST v1/Service envoy-gateway-system?labelSelector=gateway.envoyproxy.io/owning-gateway-name=service')), 'waits for the Gateway and its Envoy Service');
    const route = loadL7Objects(join(ROOT, 'k8s/rendered-l7'), 'envoy-gateway-retry').find((o) => o.kind === 'HTTPRoute') as any;
    assert.deepEqual(route.spec.rules[0].retry, { attempts: 2, backoff: '100ms', codes: [503] });
  });

  it('ingress-nginx stays the default and applies the Ingress', async () => {
    const lines = body(await planKind({ arm: 'after', reps: 1, rate: 50, deploys: 1, dryRun: true }, { env }));
    assert.ok(lines.some((l) => l.startsWith('PATCH networking.k8s.io/v1/Ingress deploy-loss-lab/service ')));
    assert.ok(!lines.some((l) => l.includes('gateway.networking.k8s.io')));
  });

  it('refuses an unknown L7 or a missing rendered-l7 file before any call', async () => {
    let rec = new RecordingExecutor();
    await assert.rejects(planKind({ arm: 'after', reps: 1, rate: 50, deploys: 1, dryRun: true, l7: 'traefik' as never }, { env, recorder: rec }), (e) => isLabError(e, 'LAB_BAD_OPTION') && /--l7 must be one of ingress-nginx, envoy-gateway, envoy-gateway-retry, got "traefik"/.test(e.message));
    assert.deepEqual(rec.calls, []);
    const dir = mkdtempSync(join(tmpdir(), 'kind-l7-'));
    try {
      cpSync(join(ROOT, 'k8s/rendered'), join(dir, 'rendered'), { recursive: true });
      rec = new RecordingExecutor();
      await assert.rejects(planKind({ arm: 'after', reps: 1, rate: 50, deploys: 1, dryRun: true, l7: 'envoy-gateway' }, { env, renderedDir: join(dir, 'rendered'), recorder: rec }), (e) => isLabError(e, 'LAB_MISSING_MANIFEST') && /rendered-l7\/envoy-gateway\.yaml does not exist; run `make render`/.test(e.message));
      assert.deepEqual(rec.calls, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
