// The back-to-back table (scripts/drift-back-to-back.sh's output): per commit, its runs' counts, and a
// conclusion that follows from them — the code explains a drift only when the commits differ here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACK_TO_BACK_DIR, backToBackSection } from '../../lab/report/drift-back-to-back.js';
import { fakeSummary, storeRun } from '../engine/fixtures.js';

function batch(failed: Record<string, number[]>): string {
  const root = mkdtempSync(join(tmpdir(), 'b2b-'));
  const dir = join(root, BACK_TO_BACK_DIR);
  mkdirSync(dir, { recursive: true });
  const lines = ['round,commit,started,load1,exit'];
  for (const [commit, counts] of Object.entries(failed)) {
    counts.forEach((n, i) => {
      storeRun(join(dir, commit), `r${i}-before-rep1`, fakeSummary('before', 1, { http_502: n }));
      lines.push(`${i + 1},${commit},2026-12-02T13:0${i}:00Z,${1.5 + i},0`);
    });
  }
  writeFileSync(join(dir, 'rounds.csv'), `${lines.join('\n')}\n`);
  return root;
}

test('commits that fail alike on one machine: the code does not explain the drift', () => {
  const root = batch({ aaaaaaa: [500, 600], bbbbbbb: [550, 650] });
  try {
    const md = backToBackSection(root);
    assert.match(md, /\| aaaaaaa \| 2 \| 550 \[500–600\] \| 550 \[500–600\] \|/);
    assert.match(md, /load average 1\.5–2\.5/);
    assert.match(md, /within a factor 1\.09 .*does not explain the drift/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('commits that differ: says so, and to bisect', () => {
  const root = batch({ aaaaaaa: [150, 200], bbbbbbb: [600, 700] });
  try {
    assert.match(backToBackSection(root), /\*\*They differ by more than a factor 1\.35\*\*: the code explains part of the drift; bisect/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('no back-to-back batch stored: no section', () => {
  const root = mkdtempSync(join(tmpdir(), 'b2b-'));
  try {
    assert.equal(backToBackSection(root), '');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
