import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';
import { importGraph } from '../../scripts/import-graph.js';

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
      [['after', '--l7', 'traefik', '--results-dir', results], /LAB_BAD_OPTION: .*--l7 must be one of ingress-nginx, envoy-gateway, envoy-gateway-retry, got "traefik"/],
      [['after', '--l7', '--results-dir', results], /--l7 must be one of ingress-nginx, envoy-gateway, envoy-gateway-retry, got "--results-dir"/],
      [['after', '--frobnicate', '--results-dir', results], /unknown option "--frobnicate"; valid options are --target, --reps/],
      [['after', '--client', 'curl', '--results-dir', results], /LAB_BAD_OPTION: .*--client must be one of go, node, got "curl"/],
      [['after', '--client', 'node', '--target', 'kind', '--results-dir', results], /LAB_BAD_OPTION: .*--client node cannot apply to --target kind, whose client is k6/],
      [['--results-dir', results], /expected a command, got none/],
      [['before', 'report', '--results-dir', results], /LAB_UNKNOWN_ARM: .*"report" cannot be combined with other commands .*only arm names combine/],
      [['before', 'nope', '--results-dir', results], /LAB_UNKNOWN_ARM: .*"nope"; valid arms are/],
      [['before', 'after', 'before', '--results-dir', results], /LAB_BAD_OPTION: .*arm "before" is named twice/],
      [['guardian', '--slow-ms', '5000', '--results-dir', results], /LAB_BAD_OPTION: .*--slow-ms 5000 is out of range 10000\.\.30000/],
      [['guardian', '--target', 'kind', '--results-dir', results], /--target must be one of local, got "kind"/],
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
    const both = lab(['before', 'after', '--dry-run', '--results-dir', dir]);
    assert.equal(both.status, 0, both.stderr);
    assert.match(both.stderr, /2 arm\(s\) × 1 rep\(s\)/, 'before after is one invocation');
    assert.match(both.stderr, /would run before rep 1[\s\S]*would run after rep 1/);
    const stress = lab(['stress', '--dry-run', '--results-dir', dir]);
    assert.equal(stress.status, 0, stress.stderr);
    assert.match(stress.stderr, /1 arm\(s\) × 5 rep\(s\) on local \(L7 ingress-nginx, client go\) at 800 req\/s/, 'stress: after at 4× the scenario rate, 5 reps');
    assert.match(lab(['stress', '--dry-run', '--reps', '2', '--results-dir', dir]).stderr, /× 2 rep\(s\)/);
    const rep = lab(['report', '--results-dir', dir]);
    assert.equal(rep.status, 0, rep.stderr);
    assert.deepEqual(readdirSync(dir), ['README.md']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a local run loads neither the kind target nor the Kubernetes client (an arm dry run, the modules a run loads)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-cli-'));
  try {
    // A module hook that records every URL the process loads (hooks run on their own thread in Node 20).
    const log = join(dir, 'loaded.txt');
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, ctx, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, ctx); }\n`);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    const loaded = (args: string[]) => {
      rmSync(log, { force: true });
      const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), 'dist/lab/cli.js', ...args, '--dry-run', '--results-dir', join(dir, 'results')], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(log, 'utf8').split('\n');
    };
    const local = loaded(['before', 'after']);
    assert.ok(local.some((u) => u.endsWith('/dist/lab/engine/run-arms.js')), 'the dry run\'s modules were recorded');
    assert.deepEqual(local.filter((u) => /targets\/kind\/|@kubernetes\/client-node|bullmq/.test(u)), [], 'a dry run loads no client');
    // what a real local run adds (protocol.ts, which a dry run does not load) reaches no kind module either
    const { edges } = importGraph(ROOT);
    const reached = new Set(['lab/engine/protocol.ts']);
    for (const f of reached) for (const to of edges.get(f) ?? []) reached.add(to);
    assert.ok(reached.has('lab/targets/local/cluster.ts'), [...reached].join(' '));
    assert.deepEqual([...reached].filter((f) => f.startsWith('lab/targets/kind/')), []);
    // the hook sees the kind target when it does load
    assert.ok(loaded(['after', '--target', 'kind']).some((u) => u.includes('@kubernetes/client-node')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
