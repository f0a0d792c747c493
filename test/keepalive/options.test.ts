// `npm run lab -- keepalive` with bad options: exit 2, the option named, nothing started or written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/proc.js';

const lab = (args: string[]) => spawnSync(process.execPath, ['dist/lab/cli.js', 'keepalive', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });

test('bad options: exit 2 naming the option and its range, no results directory made', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keepalive-opts-'));
  try {
    for (const [args, message] of [
      [['--low-rate', '0'], /--low-rate 0 is out of range 1\.\.5000/],
      [['--baseline-seconds', '2'], /--baseline-seconds 2 is out of range 6\.\.600/],
      [['--rate', 'fast'], /--rate needs an integer 1\.\.5000, got "fast"/],
      [['--arm', 'before'], /unknown option "--arm"/],
    ] as const) {
      const r = lab([...args, '--results-dir', dir]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /LAB_BAD_OPTION/);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /usage: npm run lab -- keepalive/);
    }
    assert.ok(!existsSync(join(dir, 'keepalive')));
    const help = lab(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--low-rate R +1\.\.5000: the low-rate runs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
