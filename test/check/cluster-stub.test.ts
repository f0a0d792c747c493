import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/proc.js';
import { kubeconfigYaml, startApiFixture, type ApiFixture } from '../kind/api-fixture.js';
import { stubCluster, type Stub, type StubOptions } from '../kind/stub-cluster.js';

// `check`'s cluster mode end to end, through the CLI, against the recording API server whose k6
// Job runs the real script (under the k6 shim) against a loopback service: the verdict and exit
// code on complete data, on injected failures, and on every way the records can fall short.

let dir: string;

before(() => { dir = mkdtempSync(join(tmpdir(), 'check-stub-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/** k6's deploy phase and cool-down cut short: the stub's rollouts are instant. */
const SHORT = { LAB_DEPLOY_SECONDS: '2', LAB_COOLDOWN_SECONDS: '1' };

type CheckRun = { code: number | null; stdout: string; stderr: string };

/** A stub cluster of one test's own: its API server, kubeconfig and HOME, so its requests are only its runs'. */
interface Cluster { api: ApiFixture; stub: Stub; check(out: string, extra?: string[]): Promise<CheckRun> }

async function withStub<T>(opts: Omit<StubOptions, 'namespace' | 'k6Finishes'>, run: (c: Cluster) => Promise<T>): Promise<T> {
  const api = await startApiFixture();
  const home = mkdtempSync(join(dir, 'cluster-'));
  writeFileSync(join(home, 'kubeconfig'), kubeconfigYaml(api.url));
  const check = (out: string, extra: string[] = []): Promise<CheckRun> => {
    const args = ['dist/lab/cli.js', 'check', '--context', 'fixture', '--namespace', 'shop', '--deployment', 'orders', '--url', 'http://orders.shop:8080',
      '--route', 'GET:/orders', '--rate', '20', '--deploys', '1', '--yes', '--out', join(dir, out), ...extra];
    return new Promise((resolve) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: join(home, 'kubeconfig'), LAB_CHECK_SHORT_PHASES: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
      child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
      const timer = setTimeout(() => child.kill('SIGINT'), 120_000);
      child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    });
  };
  try {
    const stub = await stubCluster(api, { namespace: 'shop', k6Finishes: true, ...opts, k6Env: { ...SHORT, ...opts.k6Env } });
    try { return await run({ api, stub, check }); } finally { await stub.close(); }
  } finally { await api.close(); }
}

const verdict = (stdout: string) => /^VERDICT: .*$/m.exec(stdout)?.[0] ?? '(no VERDICT line)';
const summaryOf = (out: string) => JSON.parse(readFileSync(join(dir, out, 'summary.json'), 'utf8'));

// Each check run mostly waits on k6's fixed phases: two tests at a time (three at once, beside other check files, pushed the load to 13), each with its own cluster.
describe('check --context against a stub cluster running the real k6 script', { concurrency: 2 }, () => {
  it('complete records, no failure: PASS (exit 0), every request k6 counted parsed, the k6 clock offset estimated', async () => {
    // the k6 node's clock runs 5 s ahead of the lab's
    const r = await withStub({ k6Env: { K6_SHIM_CLOCK_OFFSET_MS: '5000' } }, (c) => c.check('pass'));
    assert.equal(r.code, 0, r.stderr.slice(-2000) + r.stdout);
    assert.equal(verdict(r.stdout), 'VERDICT: PASS: 0 request(s) failed during the rollouts (--max-failed 0)');
    const s = summaryOf('pass');
    assert.ok(s.requests >= 100, `requests ${s.requests}`);
    assert.deepEqual([s.coverage.counted, s.coverage.recorded, s.coverage.complete], [s.requests, s.requests, true]);
    const clock = s.params.k6ClockOffsetMs;
    assert.ok(clock.uncertaintyMs < 1000 && Math.abs(clock.ms - 5000) <= clock.uncertaintyMs + 50, JSON.stringify(clock));
    assert.match(readFileSync(join(dir, 'pass', 'table.md'), 'utf8'), /\| k6 node clock − lab clock \| -?\d+ ± \d+ ms \|/);
  });

  it('injected failures, k6 exits 99 (its threshold): FAIL (exit 1) with the default --max-failed 0', async () => {
    const r = await withStub({ answer: (_m, url) => (url === '/fail' ? 503 : 200) }, (c) => c.check('fail', ['--route', 'GET:/fail']));
    assert.equal(r.code, 1, r.stderr.slice(-2000) + r.stdout);
    assert.match(verdict(r.stdout), /^VERDICT: FAIL: [1-9]\d* request\(s\) failed during the rollouts \(--max-failed 0\)$/);
    const s = summaryOf('fail');
    assert.ok(s.windowCounts.http_503 >= 5 && s.coverage.complete, JSON.stringify([s.windowCounts, s.coverage]));
    assert.ok(s.notes.some((n: string) => n.startsWith('k6 threshold crossed: errors{phase:deploy}')));
  });

  it('k6 killed (exit 137, OOMKilled) with a complete-looking log: INCONCLUSIVE (exit 3)', async () => {
    const r = await withStub({ exit: () => ({ exitCode: 137, reason: 'OOMKilled' }) }, (c) => c.check('oom'));
    assert.equal(r.code, 3, r.stderr.slice(-2000) + r.stdout);
    assert.match(verdict(r.stdout), /^VERDICT: INCONCLUSIVE: k6 exited 137 \(SIGKILL \(OOMKilled or the Job deadline\?\)\), reason OOMKilled — 0 request\(s\) failed/);
  });

  it('the exit code unknown (pod gone): INCONCLUSIVE (exit 3)', async () => {
    const r = await withStub({ exit: () => null }, (c) => c.check('gone'));
    assert.equal(r.code, 3, r.stderr.slice(-2000) + r.stdout);
    assert.match(verdict(r.stdout), /^VERDICT: INCONCLUSIVE: the k6 container's exit code is unknown/);
  });

  it('a log rotated mid-run (the first half of the request lines gone): INCONCLUSIVE (exit 3), naming the gap', async () => {
    const rotated = (log: string, ended: boolean) => {
      if (!ended) return log;
      const lines = log.split('\n');
      const reqs = lines.map((l, i) => (l.startsWith('LAB_REQ ') ? i : -1)).filter((i) => i >= 0);
      const cut = new Set(reqs.slice(0, Math.floor(reqs.length / 2)));
      return lines.filter((_l, i) => !cut.has(i)).join('\n');
    };
    const r = await withStub({ logView: rotated }, (c) => c.check('rotated'));
    assert.equal(r.code, 3, r.stderr.slice(-2000) + r.stdout);
    assert.match(verdict(r.stdout), /^VERDICT: INCONCLUSIVE: the k6 log holds (\d+) request line\(s\) for the (\d+) request\(s\) k6 counted \(log rotated, truncated or cut short\)/);
    assert.equal(summaryOf('rotated').coverage.complete, false);
  });

  it('a log lost once k6 ended (no summary): INCONCLUSIVE (exit 3), no results written', async () => {
    const r = await withStub({ logView: (log, ended) => (ended ? '' : log) }, (c) => c.check('empty'));
    assert.equal(r.code, 3, r.stderr.slice(-2000) + r.stdout);
    assert.match(verdict(r.stdout), /^VERDICT: INCONCLUSIVE: LAB_K6_SUMMARY: .*the k6 log \(0 bytes, 0 request lines\) has no summary block; k6 exit 0/);
    assert.ok(!existsSync(join(dir, 'empty', 'summary.json')));
  });

  it('two checks started in the same second: distinct objects, each deletes only what it created (by uid)', async () => {
    const { api, stub, runs } = await withStub({}, async (c) => ({ api: c.api, stub: c.stub, runs: await Promise.all([c.check('twin-a'), c.check('twin-b')]) }));
    for (const r of runs) assert.equal(r.code, 0, r.stderr.slice(-2000) + r.stdout);
    const created = [...stub.given.keys()].sort();
    assert.equal(created.length, 4, `two ConfigMaps and two Jobs, all distinct: ${created.join(', ')}`);
    const deletes = api.requests.filter((q) => q.method === 'DELETE' && /\/namespaces\/shop\/(configmaps|jobs)\//.test(q.url));
    assert.equal(deletes.length, 4, deletes.map((d) => d.url).join('\n'));
    for (const d of deletes) {
      const [, res, name] = /\/(configmaps|jobs)\/([a-z0-9-]+)/.exec(d.url)!;
      const key = `${res === 'jobs' ? 'Job' : 'ConfigMap'}/${name}`;
      assert.equal(JSON.parse(d.body || '{}').preconditions?.uid, stub.given.get(key), `DELETE ${key} names the uid its run was given`);
    }
    assert.equal(stub.uids.size, 0, 'everything either run created is gone, nothing else was touched');
  });

  it('the k6 pod gone before its log was read (404): INCONCLUSIVE (exit 3), not a failed run', async () => {
    const r = await withStub({ podGoneWhenEnded: true }, (c) => c.check('pod-gone'));
    assert.equal(r.code, 3, r.stderr.slice(-2000) + r.stdout);
    assert.match(verdict(r.stdout), /^VERDICT: INCONCLUSIVE: LAB_K6_SUMMARY: .*the k6 log could not be read \(LAB_K8S_API: .*HTTP 404.*\); k6 exit code unknown/);
  });

  it('a malformed request line: INCONCLUSIVE (exit 3), quoting it', async () => {
    const r = await withStub({ logView: (log) => log.replace(/^LAB_REQ .*$/m, 'LAB_REQ 1764662400000 1764662400012 GET /orders l4 200 ok') }, (c) => c.check('malformed'));
    assert.equal(r.code, 3, r.stderr.slice(-2000) + r.stdout);
    assert.match(verdict(r.stdout), /^VERDICT: INCONCLUSIVE: 1 malformed LAB_REQ line\(s\) in the k6 log, the first: "LAB_REQ 1764662400000 1764662400012 GET \/orders l4 200 ok"/);
  });
});
