import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { between } from '../../lab/targets/kind/markers.js';
import { ROOT } from '../helpers/proc.js';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';

// The in-cluster ledger Job's program, run as a real process against a real Redis (the k6 log
// comes from a file instead of the API server).

let redis: ThrowawayRedis;
let client: Redis;
let dir: string;
before(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  dir = mkdtempSync(join(tmpdir(), 'kind-audit-'));
});
after(async () => {
  client.disconnect();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['dist/lab/targets/kind/audit-main.js', ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '', REDIS_URL: redis.url, QUEUE_NAME: `kind-audit-${process.pid}`, ...env },
  });
  const text = between(r.stdout, 'LAB_AUDIT_BEGIN', 'LAB_AUDIT_END');
  return { status: r.status, stderr: r.stderr, result: text === null ? null : JSON.parse(text) };
}

describe('ledger audit program', () => {
  it('audits the ledger against the accepted jobs of the k6 log', async () => {
    // k1 applied once, k2 twice (duplicate), k3 never (lost), k9 applied but never acknowledged
    await client.rpush('ledger:effects', 'k1', 'k2', 'k2', 'k9');
    await client.set('ledger:balance:acct-1', 3 + 4 + 4);
    await client.set('ledger:balance:acct-2', 9);
    const log = join(dir, 'k6.log');
    writeFileSync(log, 'LAB_K6_T0 1 {}\nLAB_JOB k1 acct-1 3\nLAB_JOB k2 acct-1 4\nLAB_JOB k3 acct-2 5\nLAB_JOB garbage\n');
    const r = run(['audit', 'k6-test'], { LAB_K6_LOG_FILE: log });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.result.mode, 'audit');
    assert.equal(r.result.malformedLines, 1);
    assert.equal(r.result.drain.drained, true);
    assert.deepEqual(r.result.audit, { accepted: 3, applied: 2, lost: 1, duplicated: 1, unacknowledged: 1, balanceMismatches: 2 });
    assert.deepEqual(r.result.jobLines, { lines: 3, k6Accepted: null, complete: false }, 'no summary: whether every line survived is unknown');
  });

  it('says when the log holds fewer LAB_JOB lines than k6 counted accepted jobs (a rotated log)', () => {
    const summary = (n: number) => `LAB_K6_SUMMARY_BEGIN\n${JSON.stringify({ metrics: { lab_jobs_accepted: { type: 'counter', values: { count: n } } } })}\nLAB_K6_SUMMARY_END\n`;
    const log = join(dir, 'k6-rotated.log');
    writeFileSync(log, `LAB_JOB k1 acct-1 3\nLAB_JOB k2 acct-1 4\n${summary(5)}`);
    assert.deepEqual(run(['audit', 'k6-test'], { LAB_K6_LOG_FILE: log }).result.jobLines, { lines: 2, k6Accepted: 5, complete: false });
    writeFileSync(log, `LAB_JOB k1 acct-1 3\nLAB_JOB k2 acct-1 4\n${summary(2)}`);
    assert.deepEqual(run(['audit', 'k6-test'], { LAB_K6_LOG_FILE: log }).result.jobLines, { lines: 2, k6Accepted: 2, complete: true });
  });

  it('reset empties the ledger and nothing else', async () => {
    await client.set('unrelated', 'kept');
    const r = run(['reset']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.result.mode, 'reset');
    assert.equal(await client.exists('ledger:effects', 'ledger:balance:acct-1', 'ledger:balance:acct-2'), 0);
    assert.equal(await client.get('unrelated'), 'kept');
  });

  it('rejects a bad mode or a missing Job name, touching nothing', async () => {
    await client.rpush('ledger:effects', 'still-here');
    for (const args of [['wipe'], ['audit'], []]) {
      const r = run(args);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^LAB_BAD_OPTION: /);
      assert.equal(r.result, null);
    }
    assert.deepEqual(await client.lrange('ledger:effects', 0, -1), ['still-here']);
  });
});
