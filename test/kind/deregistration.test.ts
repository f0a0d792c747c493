import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { splitTimestamp } from '../../lab/targets/kind/markers.js';
import { Timeline } from '../../lab/targets/kind/timeline.js';
import { REPO_ROOT } from '../../lab/engine/meta.js';

// The kind target computes the deregistration delay with the same function as the local target,
// from the same pod-side `arrivals` lines (here: test/kind/fixtures/service-pod-arrivals.log, see
// its README: hand-placed, no cluster on the build machines) and the EndpointSlice watch.

const T0 = 1796119570000; // the slice reports service-a ready=false
// Pods are owned through a ReplicaSet of their Deployment (metadata.ownerReferences), as the API server sends them.
const rs = (deployment: string) => ({ metadata: { name: `${deployment}-7d9f8`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, controller: true }] } });
const pod = (name: string, ip: string, app: string, extra: any = {}) => ({
  metadata: { name, labels: { app }, ownerReferences: [{ apiVersion: 'apps/v1', kind: app === 'k6' ? 'Job' : 'ReplicaSet', name: app === 'k6' ? 'k6-after-r1-abc12' : `${app}-7d9f8`, controller: true }], ...extra }, status: { podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
});
const slice = (ready: boolean, trigger?: string) => ({
  metadata: { name: 'service-x1', labels: { 'kubernetes.io/service-name': 'service' }, annotations: trigger ? { 'endpoints.kubernetes.io/last-change-trigger-time': trigger } : {} },
  endpoints: [{ targetRef: { kind: 'Pod', name: 'service-a' }, conditions: { ready, serving: true, terminating: !ready } }],
});

describe('kind deregistration (recorded-format fixtures)', () => {
  it('measures from the pod log and the EndpointSlice, telling L4 (the k6 pod) from the ingress', () => {
    const tl = new Timeline('service');
    tl.on('ReplicaSet', 'ADDED', rs('service'), T0 - 6000);
    tl.on('Pod', 'ADDED', pod('k6-after-r1-abc12', '10.244.0.12', 'k6'), T0 - 5000);
    tl.on('Pod', 'ADDED', pod('service-a', '10.244.0.20', 'service'), T0 - 5000);
    tl.on('EndpointSlice', 'ADDED', slice(true), T0 - 4900);
    tl.on('Pod', 'MODIFIED', pod('service-a', '10.244.0.20', 'service', { deletionTimestamp: new Date(T0 - 40).toISOString() }), T0 - 40);
    tl.on('EndpointSlice', 'MODIFIED', slice(false, new Date(T0 - 35).toISOString()), T0);
    const log = readFileSync(join(REPO_ROOT, 'test/kind/fixtures/service-pod-arrivals.log'), 'utf8');
    for (const l of log.split('\n').filter(Boolean)) {
      const { t, text } = splitTimestamp(l);
      tl.onLogLine('service-a', t, text);
    }
    const r = tl.deregistrationReport();
    assert.equal(r.measurable, true);
    const p = r.pods[0]!;
    assert.equal(p.leftAt, T0);
    assert.equal(p.routingStoppedAt, null, 'the routing layer\'s view is not observable on a cluster');
    assert.equal(p.triggerTime, T0 - 35);
    assert.equal(p.lastAfterLeft.l4.new! - T0, 1390);
    assert.equal(p.lastAfterLeft.l4.reused! - T0, 3150);
    assert.equal(p.lastAfterLeft.ingress.reused! - T0, 1380);
    assert.equal(p.lastAfterLeft.ingress.new, null);
    assert.deepEqual(r.routed, { count: 1, p50Ms: 1390, p99Ms: 1390, maxMs: 1390 });
    assert.equal(r.routingLag, null);
  });

  it('is "not measurable" when the pod logs carry no arrivals', () => {
    const tl = new Timeline('service');
    tl.on('ReplicaSet', 'ADDED', rs('service'), 0);
    tl.on('Pod', 'ADDED', pod('service-a', '10.244.0.20', 'service'), 0);
    tl.on('EndpointSlice', 'ADDED', slice(true), 10);
    tl.on('EndpointSlice', 'MODIFIED', slice(false), 1000);
    tl.onLogLine('service-a', 1100, '{"event":"signal","signal":"SIGTERM"}');
    const r = tl.deregistrationReport();
    assert.equal(r.measurable, false);
    assert.equal(r.routed, null);
    assert.match(r.reason!, /not measurable/);
  });
});
