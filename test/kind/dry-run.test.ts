import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ARMS } from '../../lab/engine/arms.js';
import { RecordingExecutor } from '../../lab/targets/kind/recording-executor.js';
import { planKind } from '../../lab/targets/kind/run.js';
import { isLabError } from '../../common/errors.js';
import { ROOT } from '../helpers/proc.js';

const RENDERED = join(ROOT, 'k8s/rendered');
const scenario = JSON.parse(readFileSync(join(ROOT, 'loadtest/scenario.json'), 'utf8'));
const DEPLOYS = 3;
const env = { KUBE_CONTEXT: undefined, LAB_REGISTRY: undefined };

function body(lines: string[]): string[] {
  return lines.slice(1).map((l) => l.replace(/^\s*\d+\s+/, ''));
}
function indexOf(lines: string[], re: RegExp): number {
  const i = lines.findIndex((l) => re.test(l));
  assert.ok(i >= 0, `no call matches ${re}:\n${lines.join('\n')}`);
  return i;
}

describe('kind dry run', () => {
  for (const arm of ARMS) {
    it(`prints the ordered plan for ${arm.name}`, async () => {
      const lines = body(await planKind({ arm: arm.name, reps: 1, rate: 100, deploys: DEPLOYS, dryRun: true }, { env }));
      // image first: build, then kind load of exactly that tag. (The tag is read from the plan:
      // other areas' sources change under a running test, so recomputing it here could race.)
      const tag = /^RUN docker build --tag (deploy-loss-lab:[0-9a-f]{12}) --file \S+\/Dockerfile \S+$/.exec(lines[0]!)?.[1];
      assert.ok(tag, lines[0]);
      assert.equal(lines[1], `RUN kind load docker-image ${tag} --name deploy-loss-lab`);
      // server-side apply, Namespace first, every object in the lab namespace
      const applies = lines.filter((l) => l.startsWith('PATCH') && l.includes('apply-patch+yaml'));
      assert.match(applies[0]!, /^PATCH v1\/Namespace deploy-loss-lab /);
      for (const a of applies.slice(1)) assert.match(a, / deploy-loss-lab\/[a-z0-9-]+ \(application\/apply-patch\+yaml fieldManager=deploy-loss-lab force=true\)/);
      // the content tag replaced the placeholder on service and worker; the placeholder is gone
      for (const d of ['service', 'worker']) assert.ok(applies.some((a) => a.includes(`apps/v1/Deployment deploy-loss-lab/${d} `) && a.endsWith(`images=${tag}`)), `${d} not applied with ${tag}`);
      assert.ok(!lines.some((l) => l.includes('deploy-loss-lab:dev')), 'placeholder image left in the plan');
      // order: apply → available → RBAC/ConfigMap → ledger reset → watches → k6 → wait → rollouts → k6 done → audit → delete
      const order = [
        /apps\/v1\/Deployment deploy-loss-lab\/service \(poll until available/,
        /PATCH rbac.authorization.k8s.io\/v1\/RoleBinding deploy-loss-lab\/lab-auditor/,
        /PATCH v1\/ConfigMap deploy-loss-lab\/lab-k6 /,
        /POST batch\/v1\/Job deploy-loss-lab\/ledger-reset-/,
        /WATCH discovery.k8s.io\/v1\/EndpointSlice deploy-loss-lab/,
        /WATCH v1\/Pod deploy-loss-lab\?labelSelector=app=service \+ GET v1\/Pod\/log \(follow=true timestamps=true sinceTime=<now>\)/,
        /WATCH v1\/Pod ingress-nginx\?labelSelector=app.kubernetes.io\/component=controller \+ GET v1\/Pod\/log \(follow=true/,
        /POST batch\/v1\/Job deploy-loss-lab\/k6-.* images=grafana\/k6:1\.8\.1/,
        /poll until "LAB_K6_T0"/,
        new RegExp(`^SLEEP ${(scenario.phases.warmupSeconds + scenario.phases.baselineSeconds) * 1000} ms$`),
        /restartedAt"\]=<deploy 1 time>/,
        /GET batch\/v1\/Job\/status deploy-loss-lab\/k6-/,
        /POST batch\/v1\/Job deploy-loss-lab\/ledger-audit-/,
        /DELETE batch\/v1\/Job deploy-loss-lab\/k6-/,
      ].map((re) => indexOf(lines, re));
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `calls out of order: ${order}`);
      // N rollouts: service then worker per deploy, strategic merge patch, each waited for
      const patches = lines.filter((l) => l.includes('restartedAt'));
      assert.equal(patches.length, DEPLOYS * 2);
      patches.forEach((p, i) => {
        assert.match(p, new RegExp(`^PATCH apps/v1/Deployment deploy-loss-lab/${i % 2 === 0 ? 'service' : 'worker'} \\(application/strategic-merge-patch\\+json fieldManager=deploy-loss-lab\\)`));
        assert.ok(p.endsWith(`<deploy ${Math.floor(i / 2) + 1} time>`));
      });
      assert.equal(lines.filter((l) => /poll until rolled out and old pods gone/.test(l)).length, DEPLOYS * 2);
      assert.equal(lines.filter((l) => l === `SLEEP ${scenario.phases.pauseBetweenDeploysSeconds * 1000} ms`).length, DEPLOYS - 1);
      assert.ok(!lines.some((l) => /PATCH apps\/v1\/Deployment deploy-loss-lab\/redis .*restartedAt/.test(l)), 'redis must never be rolled');
    });
  }

  it('repeats the repetition for --reps, with one k6 Job per repetition', async () => {
    const lines = body(await planKind({ arm: 'after', reps: 2, rate: 50, deploys: 1, dryRun: true }, { env }));
    assert.equal(lines.filter((l) => /^POST batch\/v1\/Job deploy-loss-lab\/k6-after-r[12]-/.test(l)).length, 2);
    assert.equal(lines.filter((l) => l.startsWith('RUN docker build')).length, 1, 'one image for all repetitions');
  });

  it('pushes to LAB_REGISTRY instead of kind load on another context, and refuses without one', async () => {
    const lines = body(await planKind({ arm: 'before', reps: 1, rate: 50, deploys: 1, dryRun: true, context: 'prod-like' }, { env: { LAB_REGISTRY: 'registry.example/lab/' } }));
    const tag = /--tag (\S+)/.exec(lines[0]!)![1]!;
    assert.match(tag, /^deploy-loss-lab:[0-9a-f]{12}$/);
    assert.equal(lines[1], `RUN docker tag ${tag} registry.example/lab/${tag}`);
    assert.equal(lines[2], `RUN docker push registry.example/lab/${tag}`);
    assert.ok(!lines.some((l) => l.startsWith('RUN kind')));
    assert.ok(lines.some((l) => l.includes(`deploy-loss-lab/service `) && l.endsWith(`images=registry.example/lab/${tag}`)));
    const rec = new RecordingExecutor();
    await assert.rejects(planKind({ arm: 'before', reps: 1, rate: 50, deploys: 1, dryRun: true, context: 'prod-like' }, { env: {}, recorder: rec }), (e) => isLabError(e, 'LAB_BAD_ENV') && /LAB_REGISTRY/.test(e.message));
  });

  it('rejects bad input with a named error before any call', async () => {
    const cases: Array<[Parameters<typeof planKind>[0], Parameters<typeof planKind>[1], string, RegExp]> = [
      [{ arm: 'nope', reps: 1, rate: 10, deploys: 1, dryRun: true }, {}, 'LAB_UNKNOWN_ARM', /"nope"/],
      [{ arm: 'after', reps: 0, rate: 10, deploys: 1, dryRun: true }, {}, 'LAB_BAD_OPTION', /--reps 0 is out of range 1\.\.20/],
      [{ arm: 'after', reps: 1, rate: 0, deploys: 1, dryRun: true }, {}, 'LAB_BAD_OPTION', /--rate 0 is out of range 1\.\.5000/],
      [{ arm: 'after', reps: 1, rate: 10, deploys: 1.5, dryRun: true }, {}, 'LAB_BAD_OPTION', /--deploys needs an integer 1\.\.20, got 1\.5/],
      [{ arm: 'after', reps: 1, rate: 10, deploys: 1, dryRun: true }, { renderedDir: join(tmpdir(), 'no-such-rendered-dir') }, 'LAB_MISSING_MANIFEST', /after\.yaml does not exist/],
      [{ arm: 'after', reps: 1, rate: 10, deploys: 1, dryRun: true }, { env: { LAB_KIND_ROLLOUT_BUDGET_S: 'soon' } }, 'LAB_BAD_ENV', /LAB_KIND_ROLLOUT_BUDGET_S/],
    ];
    for (const [o, deps, code, re] of cases) {
      const rec = new RecordingExecutor();
      await assert.rejects(planKind(o, { env, ...deps, recorder: rec }), (e) => isLabError(e) && e.code === code && re.test(e.message), `${code} for ${JSON.stringify(o)}`);
      assert.deepEqual(rec.calls, [], `calls recorded despite ${code}`);
    }
  });

  it('refuses a manifest that does not use the placeholder image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kind-rendered-'));
    try {
      cpSync(join(RENDERED, 'after.yaml'), join(dir, 'after.yaml'));
      writeFileSync(join(dir, 'after.yaml'), readFileSync(join(dir, 'after.yaml'), 'utf8').replaceAll('deploy-loss-lab:dev', 'someone/else:latest'));
      const rec = new RecordingExecutor();
      await assert.rejects(planKind({ arm: 'after', reps: 1, rate: 10, deploys: 1, dryRun: true }, { env, renderedDir: dir, recorder: rec }), (e) => isLabError(e, 'LAB_MISSING_MANIFEST') && /no container uses deploy-loss-lab:dev/.test(e.message));
      assert.deepEqual(rec.calls, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs as a process without kubeconfig, docker or kind on PATH', () => {
    const empty = mkdtempSync(join(tmpdir(), 'kind-nopath-'));
    try {
      const r = spawnSync(process.execPath, ['dist/lab/targets/kind/main.js', 'before', '--dry-run', '--deploys', '2'], {
        cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { PATH: empty, HOME: empty, KUBECONFIG: join(empty, 'none') },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^# dry run of the kind target: arm before/);
      assert.equal((r.stdout.match(/restartedAt/g) ?? []).length, 4);
      const bad = spawnSync(process.execPath, ['dist/lab/targets/kind/main.js', 'befor', '--dry-run'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { PATH: empty, HOME: empty } });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /^LAB_UNKNOWN_ARM: unknown arm: "befor"/);
      assert.equal(bad.stdout, '');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

});
