import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';

function lab(args: string[]) {
  return spawnSync(process.execPath, ['dist/lab/cli.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
}

test('bad command lines exit 2 with an error naming the problem, and write nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-cli-'));
  const results = join(dir, 'results');
  try {
    const cases: Array<[string[], RegExp]> = [
      [['nope', '--results-dir', results], /LAB_UNKNOWN_ARM: .*"nope".*valid arms are before, ladder-1-pid1, .*after, .*without-surge/],
      [['before', '--reps', 'three', '--results-dir', results], /LAB_BAD_OPTION: .*--reps needs an integer 1\.\.20, got "three"/],
      [['before', '--reps', '0', '--results-dir', results], /--reps 0 is out of range 1\.\.20/],
      [['before', '--rate=-5', '--results-dir', results], /--rate needs an integer/],
      [['after', '--target', 'minikube', '--results-dir', results], /--target must be one of local, kind, got "minikube"/],
      [['after', '--l7', 'traefik', '--results-dir', results], /LAB_BAD_OPTION: .*--l7 must be one of ingress-nginx, envoy-gateway, got "traefik"/],
      [['after', '--l7', '--results-dir', results], /--l7 must be one of ingress-nginx, envoy-gateway, got "--results-dir"/],
      [['after', '--frobnicate', '--results-dir', results], /unknown option "--frobnicate"; valid options are --target, --reps/],
      [['--results-dir', results], /expected exactly one command, got none/],
      [['before', 'after', '--results-dir', results], /expected exactly one command, got "before" "after"/],
    ];
    for (const [args, re] of cases) {
      const r = lab(args);
      assert.equal(r.status, 2, `${args.join(' ')} → exit ${r.status}; ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.match(r.stderr, /usage: npm run lab/);
    }
    assert.ok(!existsSync(results), 'nothing was written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--dry-run prints the plan and starts nothing; report works on an empty results dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-cli-'));
  try {
    const r = lab(['ladder', '--dry-run', '--reps', '2', '--results-dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /6 arm\(s\) × 2 rep\(s\)/);
    assert.match(r.stderr, /would run ladder-3-drain rep 2/);
    assert.deepEqual(readdirSync(dir), []);
    const rep = lab(['report', '--results-dir', dir]);
    assert.equal(rep.status, 0, rep.stderr);
    assert.deepEqual(readdirSync(dir), ['README.md']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
