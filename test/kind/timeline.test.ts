import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRequestLine, lastUpstreamIp, Timeline } from '../../lab/targets/kind/timeline.js';
import { splitTimestamp } from '../../lab/targets/kind/markers.js';
import { parseAcceptedJobs } from '../../lab/targets/kind/accepted.js';

// Watch objects shaped as the API server sends them (Pod, discovery.k8s.io/v1 EndpointSlice).
// Pods are owned by a ReplicaSet that the Deployment `service` owns (metadata.ownerReferences).
const OWNED = { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'service-7d9f8', controller: true }] };
const RS = { metadata: { name: 'service-7d9f8', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'service', controller: true }] } };
const pod = (name: string, ready: boolean, extra: any = {}) => ({
  metadata: { name, labels: { app: 'service' }, ...OWNED, ...extra.metadata },
  status: { podIP: extra.podIP, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: extra.containerStatuses ?? [] },
});
const slice = (eps: Array<[string, boolean, boolean]>) => ({
  metadata: { name: 'service-abcde', labels: { 'kubernetes.io/service-name': 'service' } },
  endpoints: eps.map(([p, ready, terminating]) => ({ targetRef: { kind: 'Pod', name: p }, conditions: { ready, serving: true, terminating } })),
});

describe('kind timeline', () => {
  it('measures deregistration from deletion to endpoint not-ready, removal and last request', () => {
    const tl = new Timeline('service');
    tl.on('ReplicaSet', 'ADDED', RS, 900);
    tl.on('Pod', 'ADDED', pod('service-a', true, { podIP: '10.244.1.7' }), 1000);
    tl.on('Pod', 'ADDED', pod('service-b', true), 1000);
    tl.on('EndpointSlice', 'ADDED', slice([['service-a', true, false], ['service-b', true, false]]), 1100);
    tl.on('Pod', 'MODIFIED', pod('service-a', true, { metadata: { deletionTimestamp: '2026-11-21T00:00:10Z' } }), 10_000);
    tl.on('EndpointSlice', 'MODIFIED', slice([['service-a', false, true], ['service-b', true, false]]), 10_040);
    // ingress-nginx default access-log lines: the retry's last upstream answered
    const access = (up: string) => `10.244.0.5 - - [21/Nov/2026:12:00:10 +0000] "GET /fast HTTP/1.1" 200 2 "-" "k6/1.8.1" 120 0.002 [deploy-loss-lab-service-80] [] ${up} 2 0.002 200 abc123`;
    tl.onIngressLogLine(10_300, access('10.244.1.7:3000'));
    tl.onIngressLogLine(10_500, access('10.244.2.9:3000, 10.244.1.7:3000'));
    tl.onIngressLogLine(10_700, access('10.244.1.7:3000, 10.244.2.9:3000')); // answered by another pod
    tl.onLogLine('service-a', 10_010, '{"level":30,"event":"signal","signal":"SIGTERM"}');
    tl.onLogLine('service-a', 10_900, '{"level":30,"event":"listener-closed"}'); // not a request
    tl.on('Pod', 'MODIFIED', pod('service-a', false, { metadata: { deletionTimestamp: 'x' }, containerStatuses: [{ state: { terminated: { exitCode: 137, reason: 'Error' } } }] }), 20_000);
    tl.on('EndpointSlice', 'MODIFIED', slice([['service-b', true, false]]), 20_100);
    assert.deepEqual(tl.deregistrations(), [{ pod: 'service-a', toEndpointNotReadyMs: 40, toEndpointRemovedMs: 10_100, toLastRequestMs: 500 }]);
    assert.equal(tl.sigkills(), 1);
    assert.equal(tl.minReadyEndpoints(0, 30_000), 1);
    assert.equal(tl.minReadyEndpoints(1200, 5000), 2, 'the state entering the window counts');
    const kinds = tl.events.map((e) => e.kind);
    for (const k of ['pod-created', 'pod-ready', 'endpoint-added', 'pod-terminating', 'sigterm', 'pod-unready', 'pod-exit', 'sigkill', 'endpoint-removed'] as const) assert.ok(kinds.includes(k), k);
  });

  it('ignores other services\' EndpointSlices', () => {
    const tl = new Timeline('service');
    tl.on('EndpointSlice', 'ADDED', { ...slice([['redis-x', true, false]]), metadata: { name: 'redis-1', labels: { 'kubernetes.io/service-name': 'redis' } } }, 1);
    assert.equal(tl.events.length, 0);
  });

  it('parses kubelet timestamps, request lines and ingress upstreams', () => {
    assert.equal(lastUpstreamIp('x [ns-svc-80] [] 10.0.0.1:3000 2 0.001 200 id'), '10.0.0.1');
    assert.equal(lastUpstreamIp('x [ns-svc-80] [] 10.0.0.1:3000, 10.0.0.2:3000 0, 2 0.001, 0.002 502, 200 id'), '10.0.0.2');
    assert.equal(lastUpstreamIp('x [ns-svc-80] [] - 0 0.000 - id'), null);
    assert.deepEqual(splitTimestamp('2026-11-21T12:00:00.123456789Z {"a":1}'), { t: Date.parse('2026-11-21T12:00:00.123Z'), text: '{"a":1}' });
    assert.deepEqual(splitTimestamp('no stamp'), { t: null, text: 'no stamp' });
    assert.equal(isRequestLine('{"res":{"statusCode":502}}'), true);
    assert.equal(isRequestLine('{"msg":"listening"}'), false);
    assert.equal(isRequestLine('plain text'), false);
  });

  it('reads accepted jobs from the k6 log and counts malformed lines', () => {
    const log = ['LAB_K6_T0 1 {}', 'LAB_JOB r1-1-0 acct-3 7', '2026-11-21T12:00:00Z LAB_JOB r1-2-0 acct-1 2', 'LAB_JOB broken', 'LAB_JOB r1-3-0 acct-1 two', 'other'].join('\n');
    assert.deepEqual(parseAcceptedJobs(log), {
      accepted: [{ idempotencyKey: 'r1-1-0', account: 'acct-3', amount: 7 }, { idempotencyKey: 'r1-2-0', account: 'acct-1', amount: 2 }],
      malformed: 2,
    });
  });
});
