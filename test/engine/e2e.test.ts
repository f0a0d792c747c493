// END-TO-END (real local target, real service/worker/redis processes, < 60 s in all).
// Skipped with a message when the local target is not built.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { findArm } from '../../lab/engine/arms.js';
import { runExperiment } from '../../lab/engine/protocol.js';
import { loadScenario } from '../../loadtest/scenario.js';
import type { RequestRecord } from '../../loadtest/records.js';
import { ROOT } from '../helpers/proc.js';
import { within } from '../helpers/wait.js';


/** Every live descendant of pid (walks /proc ppid links), but none under a pid in `skip`. */
function descendants(pid: number, skip: ReadonlySet<number> = new Set()): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited meanwhile */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const [c, pp] of parent) if (pp === p && !skip.has(c)) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}
/** Running, not a zombie waiting for a reaper (kill(pid, 0) succeeds on zombies too). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
async function noneAliveWithin(pids: number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  while (Date.now() < until && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

// The two tests run side by side (each its own results dir, work dir and address block): the first
// mostly waits out grace periods, the second a CLI run's start. The CLI the second one spawns is a
// child of this process too, so the first one's "nothing left behind" skips that subtree.
const cliRuns = new Set<number>();

describe('E2E on the local target', { concurrency: 2 }, () => {
  test('E2E: a short before run on the local target shows SIGKILLs and writes every artifact', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-e2e-'));
    try {
      const base = loadScenario();
      const scenario = { ...base, phases: { warmupSeconds: 1, baselineSeconds: 2, deploys: 1, pauseBetweenDeploysSeconds: 0, cooldownSeconds: 1 } };
      // The before arm with a 3 s grace period instead of 10 s: its pods ignore SIGTERM whatever the
      // grace, so each still dies by SIGKILL at its end, and the rollout takes ~3 s instead of ~10 s.
      // And a 1 s job lock instead of 5 s: a job a SIGKILLed worker held is redelivered (stalled)
      // sooner, so the audit's wait for the queue to drain is ~2 s instead of 5–15 s. The run
      // records the variant (params.manifest).
      const manifestFile = join(dir, 'before-short-grace.yaml');
      const rendered = readFileSync(join(ROOT, 'k8s/rendered/before.yaml'), 'utf8');
      const variant = rendered.replace(/terminationGracePeriodSeconds: 10$/gm, 'terminationGracePeriodSeconds: 3').replace(/(- name: LOCK_MS\n\s+value: )"5000"$/m, '$1"1000"');
      assert.equal(variant.match(/terminationGracePeriodSeconds: 3$/gm)?.length, 2, 'the service and the worker Deployment');
      assert.match(variant, /- name: LOCK_MS\n\s+value: "1000"$/m);
      writeFileSync(manifestFile, variant);
      const { summary, dir: runDir } = await runExperiment({
        arm: findArm('before'), rep: 1, reps: 1, rate: 50, deploys: 1, scenario, manifestFile,
        // pod scratch space inside the repo like a real run (.lab/ is git-ignored)
        resultsDir: dir, workDir: join(ROOT, '.lab', `test-e2e-${process.pid}`), command: 'e2e test', batch: 'e2e',
      });
      for (const f of ['requests.jsonl.gz', 'events.json', 'summary.json', 'timeline.svg']) assert.ok(existsSync(join(runDir, f)), f);
      const lines = gunzipSync(readFileSync(join(runDir, 'requests.jsonl.gz'))).toString().trim().split('\n');
      assert.equal(lines.length, summary.requests);
      assert.ok(summary.requests > 200, `${summary.requests} requests`);
      const paths = new Set(lines.map((l) => JSON.parse(l).path));
      assert.deepEqual([...paths].sort(), ['ingress', 'l4']);
      // the run records its client (go by default) and every request its connection tags; on both
      // paths a pod named itself (x-pod), and on the L4 path the address dialled is a pod's
      assert.equal(summary.client?.name, 'go');
      const recs = lines.map((l) => JSON.parse(l) as RequestRecord);
      assert.ok(recs.every((r) => typeof r.reused === 'boolean' && typeof r.idempotent === 'boolean' && typeof r.respByte === 'boolean'));
      assert.ok(recs.some((r) => r.reused) && recs.some((r) => !r.reused), 'keep-alive: both fresh and reused connections');
      assert.ok(recs.some((r) => r.path === 'l4' && /^service-/.test(r.pod ?? '')) && recs.some((r) => r.path === 'ingress' && /^service-/.test(r.pod ?? '')), 'x-pod on both paths');
      assert.equal(summary.client?.resentTotal, recs.filter((r) => r.retries).length);
      // no pid1 lever: the unhandled SIGTERM makes every old pod wait out its grace period and die by SIGKILL
      assert.ok(summary.sigkills >= 3, `SIGKILLs ${summary.sigkills}`);
      assert.ok(summary.window.end > summary.window.start);
      assert.ok(summary.jobs.accepted > 0, 'jobs were accepted');
      assert.equal(summary.params.propagationDelayMs, 1000);
      assert.ok(summary.commit.length >= 7);
      // every process the run started is gone
      assert.deepEqual(await noneAliveWithin(descendants(process.pid, cliRuns), 5000), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(join(ROOT, '.lab', `test-e2e-${process.pid}`), { recursive: true, force: true });
    }
  });

  test('E2E: Ctrl-C mid-run exits 130 and leaves no process behind', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-e2e-'));
    const cli = spawn(process.execPath, ['dist/lab/cli.js', 'after', '--deploys', '1', '--rate', '50', '--results-dir', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    cliRuns.add(cli.pid!);
    try {
      let err = '';
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no baseline phase within 40 s: ${err.slice(-1500)}`)), 40_000);
        cli.stderr.on('data', (b: Buffer) => { err += b; if (err.includes('| baseline |')) { clearTimeout(t); resolve(); } });
        cli.once('exit', () => { clearTimeout(t); reject(new Error(`exited early: ${err.slice(-1500)}`)); });
      });
      const tree = descendants(cli.pid!);
      assert.ok(tree.length >= 5, `pods, redis running under the lab: ${tree.length} processes`);
      const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
      cli.kill('SIGINT');
      const code = await within(exited, 20_000, () => 'hung' as const);
      assert.equal(code, 130);
      assert.deepEqual(await noneAliveWithin(tree, 5000), [], 'no orphan survived the lab');
      assert.ok(!existsSync(join(dir, 'runs')) || readdirSync(join(dir, 'runs')).length === 0, 'an interrupted run leaves no half-written result');
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
