import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingressFrom, leftEndpointsFromEvents, measureDeregistration, parseArrivals, stats } from '../../lab/engine/deregistration.js';

// The measurement on hand-computed inputs: which arrivals count, per path and connection kind, and
// "not measurable" instead of a number when nothing reached a terminating pod.

const line = (from: number, by: unknown[]) => `2026-12-01T10:00:00.000Z stdout ${JSON.stringify({ level: 30, event: 'arrivals', from, to: from + 200, by })}`;
const INGRESS = '127.9.0.1';

describe('deregistration delay', () => {
  it('parses arrivals lines from local and kubectl-style logs, skipping everything else', () => {
    const log = [
      line(0, [{ remote: '127.0.0.1', reused: false, n: 2, first: 10, last: 20 }]),
      '2026-12-01T10:00:00.000Z stdout {"event":"signal"}',
      'not json {',
      `{"event":"arrivals","by":[{"remote":"${INGRESS}","reused":true,"n":1,"first":30,"last":30}]}`,
      '{"event":"arrivals","by":[{"remote":5}]}',
    ].join('\n');
    assert.deepEqual(parseArrivals(log), [
      { remote: '127.0.0.1', reused: false, n: 2, first: 10, last: 20 },
      { remote: INGRESS, reused: true, n: 1, first: 30, last: 30 },
    ]);
  });

  it('measures last routed request − left endpoints per path and connection kind', () => {
    const left = [{ pod: 'a', leftAt: 1000, routingStoppedAt: 2000 }, { pod: 'b', leftAt: 5000, routingStoppedAt: 6000 }];
    const arrivals = new Map([
      ['a', [
        { remote: '127.0.0.1', reused: false, n: 3, first: 1500, last: 2900 }, // L4 new: +1900
        { remote: '127.0.0.1', reused: true, n: 9, first: 900, last: 4000 },   // L4 reused: +3000, not "routed"
        { remote: INGRESS, reused: true, n: 5, first: 1100, last: 1950 },      // ingress: +950
        { remote: '127.0.0.1', reused: false, n: 4, first: 100, last: 999 },   // before it left: ignored
      ]],
      ['b', [{ remote: `::ffff:${INGRESS}`, reused: false, n: 1, first: 6100, last: 6100 }]], // ingress new: +1100
    ]);
    const r = measureDeregistration(left, arrivals, ingressFrom(new Set([INGRESS])));
    assert.equal(r.measurable, true);
    assert.deepEqual(r.pods.map((p) => p.delayMs), [1900, 1100]);
    assert.deepEqual(r.byPath.l4.new, { count: 1, p50Ms: 1900, p99Ms: 1900, maxMs: 1900 });
    assert.deepEqual(r.byPath.l4.reused, { count: 1, p50Ms: 3000, p99Ms: 3000, maxMs: 3000 });
    assert.deepEqual(r.byPath.ingress.reused, { count: 1, p50Ms: 950, p99Ms: 950, maxMs: 950 });
    assert.deepEqual(r.byPath.ingress.new, { count: 1, p50Ms: 1100, p99Ms: 1100, maxMs: 1100 });
    assert.deepEqual(r.routed, { count: 2, p50Ms: 1500, p99Ms: 1892, maxMs: 1900 }, 'k6\'s interpolating percentile (lab/report/stats.ts)');
    assert.deepEqual(r.routingLag, { count: 2, p50Ms: 1000, p99Ms: 1000, maxMs: 1000 });
    assert.equal(r.pods[0]!.lateCount.l4.new, 3);
  });

  it('says "not measurable" when nothing reached a terminating pod, with no number', () => {
    const left = [{ pod: 'a', leftAt: 1000, routingStoppedAt: null }];
    const none = measureDeregistration(left, new Map([['a', [{ remote: '127.0.0.1', reused: false, n: 1, first: 10, last: 999 }]]]), ingressFrom(new Set()));
    assert.equal(none.measurable, false);
    assert.equal(none.routed, null);
    assert.match(none.reason!, /not measurable/);
    const onlyReused = measureDeregistration(left, new Map([['a', [{ remote: '127.0.0.1', reused: true, n: 1, first: 1200, last: 1200 }]]]), ingressFrom(new Set()));
    assert.equal(onlyReused.measurable, false);
    assert.match(onlyReused.reason!, /only reused L4/);
    assert.equal(measureDeregistration([], new Map(), ingressFrom(new Set())).reason, 'no pod left the endpoints during the run');
  });

  it('takes "left the endpoints" from the local target\'s events', () => {
    const ev = [
      { t: 100, kind: 'endpoint-added', pod: 'service-a' },
      { t: 1000, kind: 'pod-terminating', deployment: 'service', pod: 'service-a' },
      { t: 1000, kind: 'endpoint-removed', pod: 'service-a' },
      { t: 2001, kind: 'view-removed', pod: 'service-a' },
      { t: 1500, kind: 'pod-terminating', deployment: 'worker', pod: 'worker-a' },
    ];
    assert.deepEqual(leftEndpointsFromEvents(ev, 'service'), [{ pod: 'service-a', leftAt: 1000, routingStoppedAt: 2001 }]);
  });

  it('stats with the lab\'s percentile, null for none', () => {
    assert.equal(stats([]), null);
    assert.deepEqual(stats([5, 1, 3]), { count: 3, p50Ms: 3, p99Ms: 5, maxMs: 5 });
    assert.deepEqual(stats([0, 1000]), { count: 2, p50Ms: 500, p99Ms: 990, maxMs: 1000 });
  });
});
