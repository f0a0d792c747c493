import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { regenerateReport } from '../../lab/report/index.js';
import { runKind } from '../../lab/targets/kind/run.js';
import { ROOT } from '../helpers/proc.js';
import { kubeconfigYaml, startApiFixture, type ApiFixture } from './api-fixture.js';
import { stubCluster, type Stub } from './stub-cluster.js';

// Whole kind runs against a stub API server on 127.0.0.1 (api-fixture.ts + stub-cluster.ts, whose k6
// Job runs the real script under the k6 shim) and a docker stub on PATH: repetitions of one
// invocation share a batch and the `npm run lab` command (so the report keeps them all), every
// request k6 counted is a parsed record, and Ctrl-C deletes the k6 Job.

let api: ApiFixture;
let dir: string;
const saved = { KUBECONFIG: process.env.KUBECONFIG, PATH: process.env.PATH };

before(async () => {
  api = await startApiFixture();
  dir = mkdtempSync(join(tmpdir(), 'kind-run-stub-'));
  writeFileSync(join(dir, 'config'), kubeconfigYaml(api.url));
  writeFileSync(join(dir, 'docker'), `#!/bin/sh\necho "docker $*" >> "${dir}/calls"\n`);
  chmodSync(join(dir, 'docker'), 0o755);
});
after(async () => {
  process.env.KUBECONFIG = saved.KUBECONFIG;
  process.env.PATH = saved.PATH;
  if (saved.KUBECONFIG === undefined) delete process.env.KUBECONFIG;
  await stub?.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

/** LAB_KIND_SHORT_PHASES: warm-up 1 s, baseline 2 s, cool-down 1 s instead of the scenario's 4 + 8 + 4 (the run records its plan) */
const env = { KUBE_CONTEXT: 'fixture', LAB_REGISTRY: 'registry.invalid/lab', LAB_KIND_SHORT_PHASES: '1' };
/** the k6 deploy phase and cool-down cut short: the stub's rollouts are instant */
const SHORT = { LAB_DEPLOY_SECONDS: '2', LAB_COOLDOWN_SECONDS: '1' };
let stub: Stub | undefined;

describe('kind runs against a stub API server', () => {
  it('REPS=2 keeps both repetitions: one batch and the npm run lab command per invocation', async () => {
    stub = await stubCluster(api, { k6Finishes: true, k6Env: SHORT });
    process.env.KUBECONFIG = join(dir, 'config');
    process.env.PATH = `${dir}${delimiter}${saved.PATH}`;
    const results = join(dir, 'results');
    const command = 'npm run lab -- before --target kind --reps 2';
    const batch = '2026-12-01T10:00:00.000Z';
    // rate 30 over the short plan's 1 + 2 + 2 + 1 s: 180 requests a repetition
    const out = await runKind({ arm: 'before', reps: 2, rate: 30, deploys: 1, dryRun: false, context: 'fixture', runDir: join(results, 'runs'), batch, command }, { env });
    assert.equal(out.length, 2);
    for (const s of out) {
      assert.equal(s.params.batch, batch);
      assert.equal(s.command, command);
      assert.equal(s.params.l7, 'ingress-nginx');
      assert.deepEqual(s.params.phasePlanSeconds, { warmupSeconds: 1, baselineSeconds: 2, deploySeconds: 60, cooldownSeconds: 1 }, 'the short plan, recorded');
      // the k6 log holds a parsed record for every request k6 counted, and k6 made what it planned
      assert.ok(s.requests > 100, `requests ${s.requests}`);
      assert.equal(s.coverage?.recorded, s.requests);
      assert.equal(s.coverage?.counted, s.requests);
      assert.equal(s.coverage?.complete, true, s.coverage?.reasons.join('; '));
    }
    await stub.close();
    regenerateReport(results);
    const table = readFileSync(join(results, 'before-after.md'), 'utf8');
    assert.match(table, /^\| `before` \| before \(no levers\) \| kind \| ingress-nginx \| 2 \|/m, table);
  });

  it('Ctrl-C during the k6 phase deletes the k6 Job and exits 130 (the CLI, stub API)', async () => {
    stub = await stubCluster(api, { k6Finishes: false, k6Env: SHORT });
    api.requests.length = 0;
    const child = spawn(process.execPath, ['dist/lab/cli.js', 'before', '--target', 'kind', '--deploys', '1', '--results-dir', join(dir, 'results-sigint')], {
      cwd: ROOT, env: { ...process.env, ...env, KUBECONFIG: join(dir, 'config'), PATH: `${dir}${delimiter}${saved.PATH}` }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const k6Created = () => api.requests.find((r) => r.method === 'POST' && /\/jobs\?/.test(r.url) && r.body.includes('"name":"k6-'));
    const deadline = Date.now() + 60_000;
    while (!k6Created()) {
      if (Date.now() > deadline || child.exitCode !== null) assert.fail(`the k6 Job was never created; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const name = /"name":"(k6-[^"]+)"/.exec(k6Created()!.body)![1]!;
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 45_000).unref())]);
    if (code === 'hung') child.kill('SIGKILL');
    assert.equal(code, 130, stderr);
    assert.ok(api.requests.some((r) => r.method === 'DELETE' && r.url.includes(`/jobs/${name}`)), `no DELETE of Job ${name}`);
    await stub.close();
  });
});
