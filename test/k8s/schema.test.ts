// Every rendered object is a valid Kubernetes object, in the lab's namespace, with the arm's LAB_FIXES.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ARMS } from '../../lab/engine/arms.js';
import { formatFixes } from '../../common/levers.js';
import { containerEnv, loadRendered, objKey, type K8sObject } from './manifests.js';
import { unknownFields } from './strict-fields.js';

const NAMESPACE = 'deploy-loss-lab';

// kubernetes-models 4.5 carries the Kubernetes 1.3x schemas, SleepAction (native preStop.sleep)
// included, so that field is validated by the same schema as the rest.
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Schema errors and unknown fields of one object, as readable lines. */
function problems(obj: K8sObject): string[] {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) return [`${obj.apiVersion}/${obj.kind} has no schema model in this test; add it`];
  const out: string[] = [];
  try {
    new Model(obj).validate();
  } catch (err) {
    out.push(`schema: ${(err as Error).message}`);
  }
  for (const p of unknownFields(obj)) out.push(`unknown field: ${p}`);
  return out;
}

for (const arm of ARMS) {
  test(`${arm.name}: every object validates against the Kubernetes schemas, with no unknown field`, () => {
    const objects = loadRendered(arm.name);
    assert.deepEqual(
      objects.map(objKey).sort(),
      ['ConfigMap/service-config', 'Deployment/redis', 'Deployment/service', 'Deployment/worker', 'Ingress/service',
        'Namespace/deploy-loss-lab', 'PodDisruptionBudget/service', 'Service/redis', 'Service/service'],
    );
    for (const obj of objects) assert.deepEqual(problems(obj), [], `${arm.name}: ${objKey(obj)}`);
  });

  test(`${arm.name}: every namespaced object is in ${NAMESPACE}, LAB_FIXES is formatFixes(levers) on both containers`, () => {
    const objects = loadRendered(arm.name);
    for (const obj of objects.filter((o) => o.kind !== 'Namespace')) assert.equal(obj.metadata.namespace, NAMESPACE, objKey(obj));
    const want = formatFixes(arm.levers);
    assert.equal(containerEnv(objects, 'service', 'service', 'LAB_FIXES'), want);
    assert.equal(containerEnv(objects, 'worker', 'worker', 'LAB_FIXES'), want);
  });
}

test('the checks catch what they claim to: a wrong type, a typo in a field name, a kind with no model', () => {
  const service = loadRendered('after').find((o) => objKey(o) === 'Deployment/service')!;
  assert.deepEqual(problems(service), []);

  const badSleep = structuredClone(service);
  badSleep.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds = '3';
  assert.match(problems(badSleep).join('\n'), /schema: .*preStop\/sleep\/seconds must be integer/);

  const typo = structuredClone(service);
  typo.spec.template.spec.containers[0].readinesProbe = typo.spec.template.spec.containers[0].readinessProbe;
  assert.deepEqual(problems(typo), ['unknown field: spec.template.spec.containers[0].readinesProbe']);

  const nested = structuredClone(service);
  nested.spec.template.spec.containers[0].lifecycle.preStop.sleep.milliseconds = 3000;
  assert.deepEqual(problems(nested), ['unknown field: spec.template.spec.containers[0].lifecycle.preStop.sleep.milliseconds']);

  assert.match(problems({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' } }).join(), /no schema model/);
});
