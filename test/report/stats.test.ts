import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapMedianCI, mannWhitney, median } from '../../lab/report/stats.js';

test('Mann–Whitney: complete separation of 5 vs 5 gives the exact p = 2/252; identical samples give p = 1', () => {
  const r = mannWhitney([140, 240, 286, 299, 180], [0, 0, 0, 0, 0]);
  assert.equal(r.method, 'exact');
  assert.equal(r.u, 25);
  assert.ok(Math.abs(r.p - 2 / 252) < 1e-12, `p = ${r.p}`);
  assert.equal(mannWhitney([3, 3, 3], [3, 3, 3]).p, 1);
  // overlapping samples: not significant
  assert.ok(mannWhitney([1, 4, 6, 8, 10], [2, 3, 5, 7, 9]).p > 0.5);
});

test('Mann–Whitney: large samples use the normal approximation and agree with the exact test in direction', () => {
  const a = Array.from({ length: 30 }, (_, i) => i + 10);
  const b = Array.from({ length: 30 }, (_, i) => i);
  const r = mannWhitney(a, b);
  assert.equal(r.method, 'normal');
  assert.ok(r.p > 0 && r.p < 0.05, `p = ${r.p}`);
  assert.equal(mannWhitney([], [1]).p, 1);
});

test('bootstrap interval of the median: seeded (same input, same interval), brackets the median, degenerate for constant data', () => {
  const xs = [140, 240, 286, 299, 180];
  const a = bootstrapMedianCI(xs);
  assert.deepEqual(bootstrapMedianCI(xs), a);
  assert.ok(a.lo <= median(xs) && median(xs) <= a.hi, JSON.stringify(a));
  assert.ok(a.lo >= 140 && a.hi <= 299);
  assert.notDeepEqual(bootstrapMedianCI(xs, { seed: 1 }), { lo: 0, hi: 0 });
  assert.deepEqual(bootstrapMedianCI([0, 0, 0, 0, 0]), { lo: 0, hi: 0 });
  assert.deepEqual(bootstrapMedianCI([]), { lo: 0, hi: 0 });
});
