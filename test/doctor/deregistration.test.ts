// The deregistration delay: --deregistration-s over --lb <profile> over an assumed profile that the
// output names. The lab's own local measurement (results/tune/recommendation.json) is never a default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isLabError } from '../../common/errors.js';
import { resolveDeregistration } from '../../lab/tools/doctor/deregistration.js';
import { DEFAULT_LB, LB_PROFILES, lbProfile } from '../../lab/tools/doctor/lb-profiles.js';
import { runDoctor } from '../../lab/tools/doctor/index.js';
import { ROOT } from '../helpers/proc.js';
import { byId, deployment, goodServed, service, writeTemp, yamlOf } from './fixtures.js';

test('the profiles the issue names exist, each with a number and a public source', () => {
  for (const id of ['kube-proxy', 'ingress-nginx', 'envoy-gateway', 'aws-alb-ip', 'aws-nlb-ip', 'gke-neg']) {
    const p = lbProfile(id);
    assert.ok(p, id);
    assert.ok(p.seconds > 0 && p.basis.length > 40, id);
    assert.ok(p.sources.length > 0 && p.sources.every((s) => /^https:\/\//.test(s)), id);
  }
  // cloud load balancers deregister an order of magnitude slower than in-cluster paths
  assert.ok(lbProfile('aws-alb-ip')!.seconds >= 10 * lbProfile('kube-proxy')!.seconds);
});

test('neither option: the default profile, said to be assumed, and that cloud load balancers take far longer', () => {
  // the repository holds a tuned recommendation of the lab's own local path; it must not be used
  assert.ok(existsSync(join(ROOT, 'results/tune/recommendation.json')));
  const d = resolveDeregistration({});
  assert.equal(d.seconds, lbProfile(DEFAULT_LB)!.seconds);
  assert.match(d.from, new RegExp(`--lb ${DEFAULT_LB} profile, assumed`));
  assert.match(d.assumed!, /assumed --lb kube-proxy \(1 s\); cloud load balancers take far longer \(.*aws-alb-ip 60 s.*\), so pass --lb/);
});

test('--lb picks a profile; --deregistration-s overrides it; an unknown profile is refused', () => {
  assert.deepEqual(resolveDeregistration({ lb: 'aws-alb-ip' }), { seconds: 60, from: '--lb aws-alb-ip profile' });
  assert.deepEqual(resolveDeregistration({ lb: 'aws-alb-ip', deregistrationS: 2.5 }), { seconds: 2.5, from: '--deregistration-s' });
  assert.throws(() => resolveDeregistration({ lb: 'f5' }), (e: unknown) => isLabError(e, 'LAB_BAD_OPTION') && /--lb must be one of kube-proxy, /.test(e.message));
  assert.equal(LB_PROFILES.length, new Set(LB_PROFILES.map((p) => p.id)).size);
});

test('--lb aws-alb-ip sizes preStop at 180 s and raises the grace period in the same fix', async () => {
  const t = writeTemp('m.yaml', yamlOf([deployment('app', goodServed({ lifecycle: undefined })), service('app')]));
  try {
    const r = await runDoctor({ paths: [t.file], lb: 'aws-alb-ip' });
    const [f] = byId(r, 'readiness-prestop-missing');
    assert.match(f!.fix, /sleep\.seconds: 180 .*raise terminationGracePeriodSeconds from 30 to \d+/);
    const grace = f!.patch!.find((op) => op.path.at(-1) === 'terminationGracePeriodSeconds')!.value as number;
    assert.ok(grace >= 180 + 5 + 1, `grace ${grace} fits preStop 180 + SHUTDOWN_DEADLINE_MS 5 s`);
  } finally {
    t.cleanup();
  }
});
