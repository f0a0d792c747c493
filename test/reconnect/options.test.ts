import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLabError } from '../../common/errors.js';
import { checkFdLimit, FD_HEADROOM, parseFdLimit, readFdLimit } from '../../lab/experiments/reconnect/fd-limit.js';
import { parseReconnectArgs } from '../../lab/experiments/reconnect/options.js';
import { checkJitterOption, maxJitterMs, sizeJitterWindow } from '../../lab/experiments/reconnect/window.js';
import { ROOT } from '../helpers/proc.js';

const throwsCode = (fn: () => unknown, code: string, re: RegExp) =>
  assert.throws(fn, (e: unknown) => isLabError(e) && e.code === code && re.test(e.message));

test('defaults: 2000 clients, https, 10 s pace', () => {
  const a = parseReconnectArgs([]);
  assert.equal(a.clients, 2000);
  assert.equal(a.variant, 'https');
  assert.equal(a.paceMs, 10_000);
  assert.equal(a.jitterMs, undefined);
  assert.deepEqual(parseReconnectArgs(['--clients=10000', '--variant', 'http-backoff', '--jitter-ms', '1500', '--target', 'local', '--reps', '1']),
    { clients: 10_000, paceMs: 10_000, variant: 'http-backoff', jitterMs: 1500, help: false });
});

test('client count out of range or not an integer is refused, naming the range', () => {
  throwsCode(() => parseReconnectArgs(['--clients', '99']), 'LAB_BAD_OPTION', /--clients 99 is out of range 100\.\.10000/);
  throwsCode(() => parseReconnectArgs(['--clients', '10001']), 'LAB_BAD_OPTION', /out of range 100\.\.10000/);
  throwsCode(() => parseReconnectArgs(['--clients', '2e3']), 'LAB_BAD_OPTION', /needs an integer 100\.\.10000, got "2e3"/);
  throwsCode(() => parseReconnectArgs(['--clients']), 'LAB_BAD_OPTION', /got nothing/);
});

test('jitter window out of range: 0, and beyond what the shutdown deadline leaves', () => {
  throwsCode(() => parseReconnectArgs(['--jitter-ms', '0']), 'LAB_BAD_OPTION', /--jitter-ms 0 is out of range/);
  const timing = { drainDelayMs: 1000, shutdownDeadlineMs: 6000, replicas: 3 };
  assert.equal(maxJitterMs(timing), 4000);
  checkJitterOption(4000, timing);
  throwsCode(() => checkJitterOption(4001, timing), 'LAB_BAD_OPTION', /--jitter-ms 4001 is out of range 1\.\.4000.*SHUTDOWN_DEADLINE_MS 6000/);
});

test('unknown variant, target and argument are refused, listing the valid values', () => {
  throwsCode(() => parseReconnectArgs(['--variant', 'quic']), 'LAB_UNKNOWN_VARIANT', /"quic"; valid: https, http, https-backoff, http-backoff/);
  throwsCode(() => parseReconnectArgs(['--target', 'kind']), 'LAB_BAD_OPTION', /--target must be one of local, got "kind"/);
  throwsCode(() => parseReconnectArgs(['--reps', '3']), 'LAB_BAD_OPTION', /--reps 3 is out of range 1\.\.1/);
  throwsCode(() => parseReconnectArgs(['--bogus']), 'LAB_BAD_OPTION', /unknown option "--bogus"/);
});

test('the fd limit is read from the kernel and checked against the client count', () => {
  const real = readFdLimit();
  assert.ok(real.soft > 0 && real.hard >= real.soft);
  assert.deepEqual(parseFdLimit('Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 unlimited            files\n'), { soft: 1024, hard: Infinity });
  assert.equal(checkFdLimit(2000, { soft: 20_000, hard: 20_000 }), 2000 + FD_HEADROOM);
  throwsCode(() => checkFdLimit(2000, { soft: 1024, hard: 4096 }), 'LAB_FD_LIMIT', /soft limit is 1024; 2000 clients need at least 2512: raise the soft limit with `ulimit -n 2512` \(hard limit 4096\)/);
  throwsCode(() => checkFdLimit(2000, { soft: 1024, hard: 1024 }), 'LAB_FD_LIMIT', /hard limit is only 1024: raise it as root.*at most 512 clients/);
});

test('the jitter window is sized from connections per pod and the measured accept rate, within the deadline', () => {
  const timing = { drainDelayMs: 1000, shutdownDeadlineMs: 6000, replicas: 3 };
  const w = sizeJitterWindow(2000, timing, 1000);
  assert.equal(w.perPod, 667);
  assert.equal(w.ms, 2668); // 667 / (0.25 × 1000/s)
  assert.equal(sizeJitterWindow(2000, timing, 100).ms, 4000); // clamped: the guardian would cut the tail
  assert.equal(sizeJitterWindow(100, timing, 100_000).ms, 100);
});

test('bad input through the CLI: exit 2, the code on stderr, nothing started or written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-bad-'));
  try {
    // the experiment's own entry (fast to load); the lab CLI once, to show it dispatches the same way
    const run = (args: string, pre = '', entry = 'dist/lab/experiments/reconnect/main.js') =>
      spawnSync('bash', ['-c', `${pre}exec node ${entry} --results-dir ${dir} ${args}`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const viaCli = run('--clients 50', '', 'dist/lab/cli.js reconnect');
    assert.equal(viaCli.status, 2, viaCli.stderr);
    assert.match(viaCli.stderr, /LAB_BAD_OPTION.*--clients 50 is out of range 100\.\.10000/);
    const cases: Array<[string, string, RegExp]> = [
      ['--jitter-ms 9000', '', /LAB_BAD_OPTION.*--jitter-ms 9000 is out of range 1\.\.4000/],
      ['--variant nope', '', /LAB_UNKNOWN_VARIANT/],
      ['--clients 2000', 'ulimit -n 1000; ', /LAB_FD_LIMIT.*soft limit is 1000; 2000 clients need at least 2512/],
    ];
    for (const [args, pre, re] of cases) {
      const r = run(args, pre);
      assert.equal(r.status, 2, `${args}: exit ${r.status} ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.equal(existsSync(join(dir, 'reconnect')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
