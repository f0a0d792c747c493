import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { expandVars, localCommand, type PodContext } from '../../lab/targets/local/container-env.js';
import { parseManifest, readManifest } from '../../lab/targets/local/manifest.js';
import { deployment, REDIS_OBJECTS, ROOT, toYaml } from './helpers.js';

// The manifest model: every rendered arm parses; anything the local target does not implement is
// an error naming the object and the field path; and the documented local translations.

const code = (c: string, detail: RegExp) => (e: Error & { code?: string }) => e.code === c && detail.test(e.message);

function withContainerField(field: string, value: unknown): string {
  const objs = deployment({});
  const c = ((objs[0]!.spec as any).template.spec.containers[0]) as Record<string, unknown>;
  c[field] = value;
  return toYaml(objs);
}

describe('manifest parsing', () => {
  test('every checked-in rendered arm parses', () => {
    const dir = join(ROOT, 'k8s/rendered');
    let files: string[] = [];
    try { files = readdirSync(dir).filter((f) => f.endsWith('.yaml')); } catch { /* not rendered yet */ }
    if (files.length === 0) {
      const k = spawnSync('kubectl', ['kustomize', join(ROOT, 'k8s/arms/after')], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(k.status, 0, `neither k8s/rendered nor kubectl kustomize available: ${k.stderr}`);
      const m = parseManifest(k.stdout, 'kustomize after');
      assert.deepEqual(m.deployments.map((d) => d.name).sort(), ['redis', 'service', 'worker']);
      return;
    }
    for (const f of files) {
      const m = readManifest(join(dir, f));
      assert.deepEqual(m.deployments.map((d) => d.name).sort(), ['redis', 'service', 'worker'], f);
      assert.equal(m.namespace, 'deploy-loss-lab');
    }
  });

  test('an unknown container field is rejected, naming object and path', () => {
    assert.throws(() => parseManifest(withContainerField('bogusField', 1), 'x.yaml'),
      code('LAB_UNSUPPORTED_MANIFEST', /Deployment\/service: spec\.template\.spec\.containers\[0\]\.bogusField/));
  });

  test('a real Kubernetes field the local target does not implement is rejected too (never silently ignored)', () => {
    assert.throws(() => parseManifest(withContainerField('envFrom', [{ configMapRef: { name: 'x' } }])),
      code('LAB_UNSUPPORTED_MANIFEST', /containers\[0\]\.envFrom/));
    const objs = deployment({});
    (objs[0]!.spec as any).template.spec.initContainers = [{ name: 'init', command: ['true'] }];
    assert.throws(() => parseManifest(toYaml(objs)), code('LAB_UNSUPPORTED_MANIFEST', /spec\.template\.spec\.initContainers/));
    assert.throws(() => parseManifest(toYaml([{ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' } }])), code('LAB_UNSUPPORTED_MANIFEST', /kind Job/));
    assert.throws(() => parseManifest(withContainerField('env', [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'status.hostIPs' } } }])),
      code('LAB_UNSUPPORTED_MANIFEST', /fieldRef\.fieldPath.*status\.hostIPs/));
    assert.throws(() => parseManifest(withContainerField('workingDir', '/srv')), code('LAB_UNSUPPORTED_MANIFEST', /workingDir.*\/srv/));
  });

  test('no-op fields (image, resources, securityContext) are accepted', () => {
    const m = parseManifest(toYaml(deployment({})));
    assert.equal(m.deployments[0]!.template.container.name, 'service');
  });

  test('malformed YAML and bad values are LAB_BAD_MANIFEST; a missing file is LAB_MISSING_MANIFEST', () => {
    assert.throws(() => readManifest(join(ROOT, 'test/local/fixtures/malformed.yaml')), code('LAB_BAD_MANIFEST', /malformed\.yaml: document 1 is not valid YAML/));
    const objs = deployment({ maxSurge: 'lots' });
    assert.throws(() => parseManifest(toYaml(objs)), code('LAB_BAD_MANIFEST', /maxSurge.*lots/));
    assert.throws(() => parseManifest(withContainerField('command', 'node x.js')), code('LAB_BAD_MANIFEST', /containers\[0\]\.command: expected a list of strings/));
    assert.throws(() => readManifest('/nonexistent/arm.yaml'), code('LAB_MISSING_MANIFEST', /\/nonexistent\/arm\.yaml/));
  });
});

describe('local translations of a container', () => {
  const ctx = (mounts: PodContext['mounts'] = []): PodContext => ({
    podName: 'service-abc-1', namespace: 'deploy-loss-lab', podIP: '127.9.1.4', hostIP: '127.0.0.1', repoRoot: '/repo', podDir: '/run/pods/p',
    mounts, manifest: { configMaps: new Map([['cfg', { level: 'debug' }]]), secrets: new Map() },
    serviceAddress: (h) => (['redis', 'redis.deploy-loss-lab', 'redis.deploy-loss-lab.svc.cluster.local'].includes(h) ? '127.9.0.10' : undefined),
  });

  test('$(VAR) expansion as Kubernetes does it', () => {
    assert.equal(expandVars('--bind $(POD_IP) $(MISSING) $$(POD_IP)', { POD_IP: '10.0.0.1' }), '--bind 10.0.0.1 $(MISSING) $(POD_IP)');
  });

  test('fieldRef, DNS names, /app, node and mount paths', () => {
    const m = parseManifest(toYaml([...REDIS_OBJECTS, ...deployment({ env: { REDIS_URL: 'redis://redis:6379', ALT: 'redis.deploy-loss-lab.svc.cluster.local:6379', CONFIG_FILE: '/etc/lab/config.yaml', TMP_FILE: '/tmp/x' } })]));
    const svc = m.deployments.find((d) => d.name === 'service')!;
    const c = localCommand(svc.template.container, ctx([{ mountPath: '/etc/lab', dir: '/tmp/run/vol/config' }, { mountPath: '/tmp', dir: '/tmp/run/vol/tmp' }]));
    assert.equal(c.argv[0], process.execPath);
    assert.equal(c.cwd, '/repo');
    assert.equal(c.env.HOST, '127.9.1.4');
    assert.equal(c.env.HOSTNAME, 'service-abc-1');
    assert.equal(c.env.REDIS_URL, 'redis://127.9.0.10:6379');
    assert.equal(c.env.ALT, '127.9.0.10:6379');
    assert.equal(c.env.CONFIG_FILE, '/tmp/run/vol/config/config.yaml', 'rewritten once, not again by the /tmp mount');
    assert.equal(c.env.TMP_FILE, '/tmp/run/vol/tmp/x');
    const redis = localCommand(m.deployments.find((d) => d.name === 'redis')!.template.container, ctx());
    assert.deepEqual(redis.argv.slice(0, 3), ['redis-server', '--bind', '127.9.1.4']);
    assert.equal(redis.cwd, '/run/pods/p', 'no workingDir: the pod directory');
  });

  test('a configMapKeyRef to a missing ConfigMap key is LAB_UNKNOWN_OBJECT', () => {
    const m = parseManifest(withContainerField('env', [{ name: 'L', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } }]));
    assert.throws(() => localCommand(m.deployments[0]!.template.container, ctx()), code('LAB_UNKNOWN_OBJECT', /ConfigMap\/cfg key "nope"/));
  });
});
