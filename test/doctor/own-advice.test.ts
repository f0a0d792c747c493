// doctor against its own advice (issue 27 §1, issue 22 item 1): on every rendered arm and every
// manifest fixture, apply each fix doctor suggests, run doctor again, and expect no error it did not
// report before, in particular none about the grace period; and no recommended preStop reaches the
// object's grace period.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isLabError } from '../../common/errors.js';
import { runDoctor, type DoctorOptions, type Finding } from '../../lab/tools/doctor/index.js';
import { CHECK_MARGIN_S } from '../../lab/tools/doctor/sizing.js';
import { ROOT } from '../helpers/proc.js';
import { applyFindings, readObjects } from './patcher.js';
import { container, deployment, env, goodServed, service, writeTemp, yamlOf } from './fixtures.js';

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/** Rendered arms, the check fixtures' deploy manifests, and the real-manifest corpus when present. */
const FILES = [...yamlFiles(join(ROOT, 'k8s/rendered')), ...yamlFiles(join(ROOT, 'k8s/rendered-l7')),
  ...yamlFiles(join(ROOT, 'test/check')), ...yamlFiles(join(ROOT, 'test/fixtures/real'))];

/** Hand-made cases the issue names: short grace periods, slow probes, preStop past the grace period. */
function edgeCases(): string[] {
  const slowProbe = { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 15, failureThreshold: 3 };
  return [
    yamlOf([deployment('grace5', goodServed({ readinessProbe: slowProbe, lifecycle: undefined }), {}, { terminationGracePeriodSeconds: 5 }), service('grace5')]),
    yamlOf([deployment('prestop40', goodServed({ env: undefined, lifecycle: { preStop: { sleep: { seconds: 40 } } } })), service('prestop40')]),
    yamlOf([deployment('grace2', goodServed({ env: undefined, lifecycle: { preStop: { exec: { command: ['sleep', '3'] } } } }), {}, { terminationGracePeriodSeconds: 2 }), service('grace2')]),
    yamlOf([deployment('quoted', goodServed({ env: undefined, lifecycle: { preStop: { exec: { command: ['sh', '-c', "'sleep 10'"] } } } }), {}, { terminationGracePeriodSeconds: 10 }), service('quoted')]),
    yamlOf([deployment('nodrain', container({ readinessProbe: slowProbe }), { replicas: 1, strategy: { type: 'Recreate' } }, { terminationGracePeriodSeconds: 1 }), service('nodrain')]),
    yamlOf([deployment('lab', goodServed({ command: ['node', 'dist/service/main.js'], env: env({ LAB_FIXES: 'all', SHUTDOWN_DEADLINE_MS: '9000' }) }), { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' } } }, { terminationGracePeriodSeconds: 10 }), service('lab')]),
  ];
}

const errorKeys = (fs: readonly Finding[]) => new Set(fs.filter((f) => f.severity === 'error').map((f) => `${f.id} ${f.object} ${f.path}`));
const GRACE = /grace|prestop/;

/** The effective (preStop, grace) of every container of every pod template. */
function timings(objects: Record<string, any>[]): { where: string; preStop: number; grace: number }[] {
  return objects.flatMap((o) => {
    const pod = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
    if (!pod || !Array.isArray(pod.containers)) return [];
    const grace = typeof pod.terminationGracePeriodSeconds === 'number' ? pod.terminationGracePeriodSeconds : 30;
    return pod.containers.map((c: any) => {
      const ps = c?.lifecycle?.preStop;
      const preStop = typeof ps?.sleep?.seconds === 'number' ? ps.sleep.seconds : 0;
      return { where: `${o.kind}/${o.metadata?.name} ${c?.name}`, preStop, grace };
    });
  });
}

async function roundTrip(label: string, file: string, opts: Omit<DoctorOptions, 'paths'>): Promise<number> {
  let before;
  try {
    before = await runDoctor({ paths: [file], ...opts });
  } catch (e) {
    if (isLabError(e)) return 0; // not a manifest doctor reads (refused with exit 2 elsewhere)
    throw e;
  }
  const objects = readObjects(file);
  const applied = applyFindings(objects, before.findings);
  if (!applied) return 0;
  const t = writeTemp('patched.yaml', yamlOf(objects));
  try {
    const after = await runDoctor({ paths: [t.file], ...opts });
    const had = errorKeys(before.findings);
    const fresh = [...errorKeys(after.findings)].filter((k) => !had.has(k));
    assert.deepEqual(fresh, [], `${label}: errors that only the fixed manifest has`);
    const patchedPreStops = new Set(before.findings.filter((f) => f.patch?.some((op) => op.path.includes('preStop'))).map((f) => f.object));
    for (const tm of timings(objects)) {
      if (!patchedPreStops.has(tm.where.split(' ')[0]!)) continue;
      assert.ok(tm.preStop + CHECK_MARGIN_S <= tm.grace, `${label}: recommended preStop ${tm.preStop} s reaches the grace period ${tm.grace} s of ${tm.where}`);
    }
    assert.deepEqual(after.findings.filter((f) => f.severity === 'error' && GRACE.test(f.id)), [], `${label}: grace-period or preStop errors left after the fixes`);
  } finally {
    t.cleanup();
  }
  return applied;
}

// the in-cluster default, a measured value, and the slow cloud paths that push preStop past 30 s
const SETTINGS: Omit<DoctorOptions, 'paths'>[] = [{}, { deregistrationS: 0.3 }, { lb: 'ingress-nginx' }, { lb: 'aws-alb-ip' }, { lb: 'aws-nlb-ip', drainS: 20 }];

test('every rendered arm and manifest fixture: the fixed manifest has no new error, and no preStop reaches its grace period', async () => {
  assert.ok(FILES.length >= 12, `${FILES.length} files`);
  let applied = 0;
  for (const file of FILES) {
    for (const s of SETTINGS) applied += await roundTrip(`${relative(ROOT, file)} ${JSON.stringify(s)}`, file, s);
  }
  assert.ok(applied > 50, `only ${applied} patch ops applied: the test would not see a regression`);
});

test('the issue\'s edge cases: grace 5 with a 15 s probe, preStop 40 s under the default, preStop 3 s with grace 2, a quoted sleep', async () => {
  let applied = 0;
  for (const [i, text] of edgeCases().entries()) {
    const t = writeTemp(`edge${i}.yaml`, text);
    try {
      for (const s of SETTINGS) applied += await roundTrip(`edge ${i} ${JSON.stringify(s)}`, t.file, s);
    } finally {
      t.cleanup();
    }
  }
  assert.ok(applied >= 20, String(applied));
});
