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

/**
 * Reference exact two-sided p, computed without ranks: U counts the pairs a > b (a tie counts ½),
 * and its null distribution comes from every split of the pooled values into groups of n and m
 * (bitmasks over the pooled list), so it shares no code or method with the module's rank enumeration.
 */
function bruteForceP(a: readonly number[], b: readonly number[]): number {
  const pooled = [...a, ...b];
  const n = a.length;
  const half = (n * b.length) / 2;
  const pairU = (x: readonly number[], y: readonly number[]) => x.reduce((s, xi) => s + y.reduce((t, yj) => t + (xi > yj ? 1 : xi === yj ? 0.5 : 0), 0), 0);
  const observed = Math.abs(pairU(a, b) - half);
  let extreme = 0;
  let total = 0;
  for (let mask = 0; mask < 2 ** pooled.length; mask++) {
    const x = pooled.filter((_, i) => mask & (1 << i));
    if (x.length !== n) continue;
    total++;
    // U takes values on a ½ grid: a relative 1e-9 keeps equal deviations equal
    if (Math.abs(pairU(x, pooled.filter((_, i) => !(mask & (1 << i)))) - half) >= observed - 1e-9) extreme++;
  }
  return extreme / total;
}

test('Mann–Whitney with ties: the exact p equals a brute-force permutation p over pair counts, for small samples full of ties', () => {
  // hand-enumerated: a = {1, 2}, b = {2, 3}; of the 6 splits of {1, 2, 2, 3}, U = 0.5, 0.5, 2, 2, 3.5, 3.5
  // (nm/2 = 2), so 4 of 6 are as far from 2 as the observed 0.5: p = 2/3 (ordinal ranks would give U = 0 or 1)
  const hand = mannWhitney([1, 2], [2, 3]);
  assert.equal(hand.u, 0.5);
  assert.ok(Math.abs(hand.p - 2 / 3) < 1e-12, `p = ${hand.p}`);
  assert.ok(Math.abs(bruteForceP([1, 2], [2, 3]) - 2 / 3) < 1e-12);
  // fixed cases where mid-ranks move p: one heavy tie block across both groups, and ties within a group only
  const fixed: Array<[number[], number[]]> = [
    [[0, 0, 0, 1, 2], [0, 1, 1, 2, 2, 2]],
    [[5, 5, 5, 5], [5, 5, 6]],
    [[1, 1, 2, 2, 3, 3], [2, 2, 3, 3, 4, 4]],
    [[0, 0, 0], [1, 1, 1, 1, 1, 1]],
  ];
  // and 60 pseudo-random pairs (n, m ≤ 6, values from {0, 1, 2}: most values tied), seeded so a failure repeats
  let seed = 26_27;
  const rnd = (k: number) => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed % k; };
  const cases = [...fixed, ...Array.from({ length: 60 }, () => [
    Array.from({ length: 1 + rnd(6) }, () => rnd(3)),
    Array.from({ length: 1 + rnd(6) }, () => rnd(3)),
  ] as [number[], number[]])];
  let tiedCases = 0;
  for (const [a, b] of cases) {
    const r = mannWhitney(a, b);
    assert.equal(r.method, 'exact');
    const want = bruteForceP(a, b);
    assert.ok(Math.abs(r.p - want) < 1e-12, `a=${JSON.stringify(a)} b=${JSON.stringify(b)}: module p ${r.p}, brute force ${want}`);
    if (new Set([...a, ...b]).size < a.length + b.length) tiedCases++;
  }
  assert.ok(tiedCases >= 50, `only ${tiedCases} cases had ties`);
});

test('Mann–Whitney without ties: exact p-values from the published null distribution of U', () => {
  // Mann & Whitney (1947), Ann. Math. Statist. 18(1):50–60, Table I (P(U ≤ u)): n = 3, m = 4 gives
  // P(U ≤ 1) = 0.057 = 2/35, so the two-sided p of U = 1 is 4/35 ≈ 0.114; P(U ≤ 0) for n = m = 4 is
  // 0.014 = 1/70 (two-sided 2/70), for n = m = 3 it is 0.05 = 1/20 (two-sided 0.1).
  const cases: Array<[number[], number[], number]> = [
    [[1, 2, 4], [3, 5, 6, 7], 4 / 35],
    [[11, 12, 13, 14], [1, 2, 3, 4], 2 / 70],
    [[1, 2, 3], [7, 8, 9], 0.1],
  ];
  for (const [a, b, p] of cases) {
    const r = mannWhitney(a, b);
    assert.ok(Math.abs(r.p - p) < 1e-12, `a=${JSON.stringify(a)} b=${JSON.stringify(b)}: p ${r.p}, published ${p}`);
    assert.ok(Math.abs(bruteForceP(a, b) - p) < 1e-12);
  }
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
