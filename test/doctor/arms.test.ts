// The doctor against the lab itself: every rendered arm gets the findings of exactly the levers it lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LEVERS } from '../../common/levers.js';
import { ARMS } from '../../lab/engine/arms.js';
import { runDoctor } from '../../lab/tools/doctor/index.js';
import { ROOT } from '../helpers/proc.js';

// The local target's modelled delay, so the test does not depend on whether results/tune exists yet.
const DEREGISTRATION_S = 1;

for (const arm of ARMS) {
  test(`${arm.name}: findings name exactly the levers the arm lacks`, async () => {
    const r = await runDoctor({ paths: [join(ROOT, 'k8s/rendered', `${arm.name}.yaml`)], deregistrationS: DEREGISTRATION_S });
    const got = [...new Set(r.findings.map((f) => f.lever))].sort();
    // keepalive is outside LAB_FIXES: every arm carries its component (72 s, above ingress-nginx's 60 s),
    // and after-keepalive-5s sets one shorter over it (error); other env an arm sets leaves it alone
    const statesKeepalive = arm.components?.includes('keepalive') && arm.serviceEnv?.KEEPALIVE_TIMEOUT_MS === undefined;
    const want = [...LEVERS.filter((l) => !arm.levers.includes(l)), ...(statesKeepalive ? [] : ['keepalive'])].sort();
    assert.deepEqual(got, want, r.findings.map((f) => `${f.id} ${f.object}`).join('\n'));
    // redis carries the ignore annotation; Namespace and Ingress are kinds no rule reads
    assert.deepEqual(r.ignored.map((i) => `${i.kind}/${i.name}`).sort(), ['Deployment/redis', 'Ingress/service', 'Namespace/deploy-loss-lab']);
    for (const f of r.findings) {
      assert.ok(f.object === 'Deployment/service' || f.object === 'Deployment/worker', f.object);
      assert.match(f.path, /^spec\./);
      assert.ok(f.why.length > 20 && f.fix.length > 10);
    }
  });
}

test('after: no findings at all, at any severity', async () => {
  const r = await runDoctor({ paths: [join(ROOT, 'k8s/rendered/after.yaml')], deregistrationS: DEREGISTRATION_S });
  assert.deepEqual(r.findings, []);
});

test('before: the rules the issue names for each lever, with the lab\'s measured numbers cited', async () => {
  const r = await runDoctor({ paths: [join(ROOT, 'k8s/rendered/before.yaml')], deregistrationS: DEREGISTRATION_S });
  const ids = new Set(r.findings.map((f) => `${f.id} ${f.object}`));
  for (const want of ['pid1-shell-wrapper Deployment/service', 'pid1-shell-wrapper Deployment/worker', 'readiness-probe-missing Deployment/service',
    'readiness-prestop-missing Deployment/service', 'drain-disabled Deployment/service', 'requeue-no-handback Deployment/worker',
    'surge-no-surge Deployment/service', 'surge-no-surge Deployment/worker']) assert.ok(ids.has(want), `${want} missing`);
  const shell = r.findings.find((f) => f.id === 'pid1-shell-wrapper')!;
  // the figure with the table it comes from, never a run directory that exists only in the lab's repository
  assert.match(shell.why, /measured \d+ SIGKILLs .*\(median of \d+ runs; table "Leave-one-out" in deploy-loss-lab's results\/leave-one-out\.md\)/);
  for (const f of r.findings) assert.doesNotMatch(f.why, /results\/runs\/|summary\.json/, f.id);
});

test('after-keepalive-5s: the app\'s 5 s against the Ingress (class nginx) default of 60 s is an error naming both', async () => {
  const r = await runDoctor({ paths: [join(ROOT, 'k8s/rendered/after-keepalive-5s.yaml')], deregistrationS: DEREGISTRATION_S });
  assert.deepEqual(r.findings.map((f) => `${f.id} ${f.severity} ${f.object}`), ['keepalive-shorter-than-proxy error Deployment/service']);
  assert.match(r.findings[0]!.why, /after 5 s \(env KEEPALIVE_TIMEOUT_MS=5000\).*60 s/);
});
