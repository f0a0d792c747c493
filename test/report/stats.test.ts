import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmtCoverage, mannWhitney, medianInterval, zeroFailureUpperBound } from '../../lab/report/stats.js';

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

test('median interval: with few reps it is the min–max range labelled with its coverage 1 − 2·0.5ⁿ; from 6 reps on it covers ≥ 95 %', () => {
  const five = medianInterval([140, 240, 286, 299, 180]);
  assert.deepEqual({ lo: five.lo, hi: five.hi }, { lo: 140, hi: 299 });
  assert.equal(five.coverage, 0.9375);
  assert.equal(medianInterval([3, 1, 2]).coverage, 0.75);
  assert.equal(fmtCoverage(medianInterval([1, 2, 3, 4, 5]).coverage), '93.75 %');
  // n = 10: [x(2), x(9)] covers 1 − 2·P(Bin(10, ½) ≤ 1) = 1 − 22/1024 ≈ 97.9 %; [x(3), x(8)] would be 89 %
  const ten = medianInterval([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
  assert.deepEqual({ lo: ten.lo, hi: ten.hi }, { lo: 2, hi: 9 });
  assert.ok(Math.abs(ten.coverage - (1 - 22 / 1024)) < 1e-12, String(ten.coverage));
  assert.equal(medianInterval([7]).coverage, 0);
  assert.ok(Number.isNaN(medianInterval([]).lo));
});

test('zero failures in N: the exact 95 % upper bound 1 − 0.05^(1/N) ≈ 3/N', () => {
  const ub = zeroFailureUpperBound(50_000);
  assert.ok(Math.abs(ub - 3 / 50_000) / (3 / 50_000) < 0.002, String(ub));
  assert.ok(Math.abs(zeroFailureUpperBound(1) - 0.95) < 1e-12);
  assert.equal(zeroFailureUpperBound(0), 1);
});
