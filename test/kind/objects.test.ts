import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ARMS } from '../../lab/engine/arms.js';
import { auditJob, auditorRbac, k6ConfigMap, k6Job, planSeconds } from '../../lab/targets/kind/objects.js';
import { loadArmManifest } from '../../lab/targets/kind/manifest.js';
import { sizeK6 } from '../../lab/targets/kind/k6-sizing.js';
import { ROOT } from '../helpers/proc.js';
import { join } from 'node:path';

// The objects the kind target creates, validated against the Kubernetes OpenAPI schemas that
// kubernetes-models ships (validate() throws on any schema violation).

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'batch/v1/Job': Job as any,
  'v1/ConfigMap': ConfigMap as any,
  'v1/ServiceAccount': ServiceAccount as any,
  'rbac.authorization.k8s.io/v1/Role': Role as any,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as any,
  'apps/v1/Deployment': Deployment as any,
};

function validate(obj: any): void {
  const M = MODELS[`${obj.apiVersion}/${obj.kind}`];
  assert.ok(M, `no model for ${obj.apiVersion}/${obj.kind}`);
  new M(obj).validate();
}

const plan = { warmupSeconds: 4, baselineSeconds: 8, deploySeconds: 124, cooldownSeconds: 4 };
const job = () => k6Job({
  name: 'k6-after-r1-abc', runId: 'after-r1-abc', rate: 200, keepAlive: true, paths: ['l4', 'ingress'], plan,
  l4Url: 'http://service.deploy-loss-lab.svc.cluster.local', ingressUrl: 'http://ingress-nginx-controller.ingress-nginx.svc.cluster.local',
  ingressHost: null, timeoutSeconds: 15, sizing: sizeK6({ rate: 200, paths: 2, expectedLatencyS: 0.25, timeoutSeconds: 15, plannedSeconds: planSeconds(plan) }),
});

function restrictedOk(spec: any): void {
  for (const c of spec.containers) {
    const sc = c.securityContext;
    assert.equal(sc.runAsNonRoot, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities.drop, ['ALL']);
    assert.equal(sc.seccompProfile.type, 'RuntimeDefault');
    assert.ok(sc.runAsUser > 0);
  }
}

describe('kind objects validate against the Kubernetes schemas', () => {
  it('k6 Job: valid, restricted, pinned image, env for the whole plan', () => {
    const j: any = job();
    validate(j);
    const spec = j.spec.template.spec;
    restrictedOk(spec);
    assert.equal(spec.containers[0].image, 'grafana/k6:1.8.1');
    assert.equal(spec.restartPolicy, 'Never');
    assert.equal(j.spec.backoffLimit, 0);
    assert.ok(j.spec.activeDeadlineSeconds > planSeconds(plan) + 15);
    const env = Object.fromEntries(spec.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(env.LAB_DEPLOY_SECONDS, '124');
    assert.equal(env.LAB_PATHS, 'l4,ingress');
    assert.equal(env.LAB_INGRESS_HOST, undefined);
  });

  it('k6 ConfigMap: valid, holds the script, its classifier and the scenario, under the 1 MiB limit', () => {
    const cm: any = k6ConfigMap(ROOT);
    validate(cm);
    assert.deepEqual(Object.keys(cm.data).sort(), ['classify.js', 'scenario.json', 'script.js']);
    assert.match(cm.data['script.js'], /from '\.\/classify\.js'/);
    JSON.parse(cm.data['scenario.json']);
    assert.ok(Buffer.byteLength(JSON.stringify(cm.data)) < 1024 * 1024);
  });

  it('auditor ServiceAccount/Role/RoleBinding: valid, namespaced, read-only on pods and logs', () => {
    const [sa, role, rb]: any[] = auditorRbac();
    for (const o of [sa, role, rb]) {
      validate(o);
      assert.equal(o.metadata.namespace, 'deploy-loss-lab');
    }
    const verbs = role.rules.flatMap((r: any) => r.verbs);
    assert.deepEqual([...new Set(verbs)].sort(), ['get', 'list']);
    assert.deepEqual(role.rules.flatMap((r: any) => r.resources).sort(), ['pods', 'pods/log']);
    assert.equal(rb.roleRef.name, role.metadata.name);
    assert.equal(rb.subjects[0].name, sa.metadata.name);
  });

  it('ledger Jobs: valid and restricted; only the audit mounts the ServiceAccount token', () => {
    const reset: any = auditJob({ name: 'ledger-reset-x', runId: 'x', image: 'deploy-loss-lab:0123456789ab', mode: 'reset' });
    const audit: any = auditJob({ name: 'ledger-audit-x', runId: 'x', image: 'deploy-loss-lab:0123456789ab', mode: 'audit', k6Job: 'k6-x' });
    for (const j of [reset, audit]) {
      validate(j);
      restrictedOk(j.spec.template.spec);
    }
    assert.equal(reset.spec.template.spec.automountServiceAccountToken, false);
    assert.equal(audit.spec.template.spec.automountServiceAccountToken, true);
    assert.deepEqual(audit.spec.template.spec.containers[0].args, ['dist/lab/targets/kind/audit-main.js', 'audit', 'k6-x']);
  });

  it('the validation is live: a wrong field type is rejected', () => {
    const j: any = job();
    j.spec.template.spec.containers[0].env[0].value = 42;
    assert.throws(() => validate(j));
    const r: any = auditorRbac()[1];
    delete r.rules[0].verbs;
    assert.throws(() => validate(r));
  });

  it('every arm\'s Deployments, with the image substituted, validate', () => {
    for (const arm of ARMS) {
      const m = loadArmManifest(join(ROOT, 'k8s/rendered'), arm.name, 'deploy-loss-lab:0123456789ab');
      for (const o of m.objects.filter((x) => x.kind === 'Deployment')) validate(o);
      assert.deepEqual(m.deployments.sort(), ['redis', 'service', 'worker']);
      assert.equal(m.selectors.service, 'app=service');
    }
  });
});
