// Every container of every arm runs under the restricted Pod Security profile, which the
// namespace also enforces on a real cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARMS } from '../../lab/engine/arms.js';
import { loadRendered, podSpecs, type K8sObject } from './manifests.js';

/** Violations of the restricted profile (plus a read-only root fs), with the container-over-pod precedence Kubernetes applies. */
function violations(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const { owner, spec } of podSpecs(objects)) {
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push(`${owner}: host namespaces`);
    for (const v of spec.volumes ?? []) if (v.hostPath) out.push(`${owner}: hostPath volume ${v.name}`);
    const pod = spec.securityContext ?? {};
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const sc = c.securityContext ?? {};
      const where = `${owner}/${c.name}`;
      const eff = (k: string) => sc[k] ?? pod[k];
      if (eff('runAsNonRoot') !== true) out.push(`${where}: runAsNonRoot is not true`);
      if (typeof eff('runAsUser') !== 'number' || eff('runAsUser') === 0) out.push(`${where}: runAsUser is not a non-zero uid`);
      if (sc.allowPrivilegeEscalation !== false) out.push(`${where}: allowPrivilegeEscalation is not false`);
      if (sc.privileged === true) out.push(`${where}: privileged`);
      if (sc.readOnlyRootFilesystem !== true) out.push(`${where}: readOnlyRootFilesystem is not true`);
      if (!sc.capabilities?.drop?.includes('ALL')) out.push(`${where}: capabilities do not drop ALL`);
      if ((sc.capabilities?.add ?? []).length > 0) out.push(`${where}: capabilities added`);
      if (!['RuntimeDefault', 'Localhost'].includes(eff('seccompProfile')?.type)) out.push(`${where}: seccompProfile is not RuntimeDefault`);
      if (!c.resources?.requests || !c.resources?.limits) out.push(`${where}: resources without requests and limits`);
    }
  }
  return out;
}

for (const arm of ARMS) {
  test(`${arm.name}: every container has the restricted security context and resources`, () => {
    const objects = loadRendered(arm.name);
    assert.equal(podSpecs(objects).length, 3);
    assert.deepEqual(violations(objects), []);
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    assert.equal((ns.metadata.labels as Record<string, string>)['pod-security.kubernetes.io/enforce'], 'restricted');
  });
}

test('the check fails on a container that drops out of the profile, including via pod-level settings', () => {
  const objects = loadRendered('after');
  const worker = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'worker')!;

  const loose = structuredClone(worker);
  delete loose.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem;
  loose.spec.template.spec.containers[0].securityContext.capabilities = { drop: ['NET_RAW'] };
  assert.deepEqual(violations([loose]), [
    'Deployment/worker/worker: readOnlyRootFilesystem is not true',
    'Deployment/worker/worker: capabilities do not drop ALL',
  ]);

  const root = structuredClone(worker);
  delete root.spec.template.spec.containers[0].securityContext.runAsUser;
  root.spec.template.spec.securityContext = { runAsUser: 0 };
  assert.deepEqual(violations([root]), ['Deployment/worker/worker: runAsUser is not a non-zero uid']);

  const sidecar = structuredClone(worker);
  sidecar.spec.template.spec.initContainers = [{ name: 'init', image: 'busybox' }];
  assert.equal(violations([sidecar]).filter((v) => v.startsWith('Deployment/worker/init:')).length, 7);
});
