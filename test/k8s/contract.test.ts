// The conventions the local and kind targets read from every rendered arm (docs/architecture.md, "Manifests").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARMS } from '../../lab/engine/arms.js';
import { loadRendered, type K8sObject } from './manifests.js';

const get = (objs: K8sObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} missing`);
  return o;
};
const envNames = (c: any) => (c.env as Array<{ name: string }>).map((e) => e.name).sort();
const fieldRef = (c: any, name: string) => c.env.find((e: any) => e.name === name)?.valueFrom?.fieldRef?.fieldPath;

for (const arm of ARMS) {
  test(`${arm.name}: names, images, ports, env, volumes and probes the targets rely on`, () => {
    const objs = loadRendered(arm.name);

    const svc = get(objs, 'Deployment', 'service');
    assert.equal(svc.spec.replicas, 3);
    assert.deepEqual(svc.spec.selector.matchLabels, { app: 'service' });
    const sc = svc.spec.template.spec.containers[0];
    assert.equal(svc.spec.template.spec.containers.length, 1);
    assert.equal(sc.name, 'service');
    assert.equal(sc.image, 'deploy-loss-lab:dev');
    assert.equal(sc.imagePullPolicy, 'IfNotPresent');
    assert.equal(sc.workingDir, '/app');
    assert.deepEqual(sc.ports, [{ name: 'http', containerPort: 3000 }]);
    // The keep-alive arms (outside LAB_FIXES) add exactly the pair; every other arm leaves the service's default.
    const keepalive = arm.components?.includes('keepalive') || arm.serviceEnv?.KEEPALIVE_TIMEOUT_MS !== undefined;
    // …and an arm's own serviceEnv (e.g. after-idle-window's IDLE_CLOSE) adds exactly its keys
    const own = Object.keys(arm.serviceEnv ?? {});
    const expected = ['CLOSE_JITTER_MS', 'CONFIG_FILE', 'DRAIN_DELAY_MS', ...(keepalive ? ['HEADERS_TIMEOUT_MS', 'KEEPALIVE_TIMEOUT_MS'] : []), 'HOST', 'LAB_FIXES', 'PORT', 'REDIS_URL', 'SHUTDOWN_DEADLINE_MS'];
    assert.deepEqual(envNames(sc), [...new Set([...expected, ...own])].sort());
    if (keepalive) {
      const env = (n: string) => Number(sc.env.find((e: any) => e.name === n)?.value);
      assert.ok(env('HEADERS_TIMEOUT_MS') > env('KEEPALIVE_TIMEOUT_MS'), 'the service would refuse to start otherwise');
    }
    assert.equal(fieldRef(sc, 'HOST'), 'status.podIP');
    assert.deepEqual(sc.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(sc.volumeMounts, [{ name: 'config', mountPath: '/etc/lab', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }]);
    assert.deepEqual(svc.spec.template.spec.volumes, [{ name: 'config', configMap: { name: 'service-config' } }, { name: 'tmp', emptyDir: {} }]);
    assert.equal(sc.readinessProbe !== undefined, arm.levers.includes('readiness'));
    assert.deepEqual(sc.command, arm.levers.includes('pid1') ? ['node', 'dist/service/main.js'] : ['/bin/sh', '-c', 'node dist/service/main.js']);

    const wrk = get(objs, 'Deployment', 'worker');
    assert.equal(wrk.spec.replicas, 2);
    const wc = wrk.spec.template.spec.containers[0];
    assert.equal(wc.name, 'worker');
    assert.equal(wc.image, 'deploy-loss-lab:dev');
    assert.deepEqual(envNames(wc), ['HOST', 'JOB_MS', 'LAB_FIXES', 'LOCK_MS', 'METRICS_PORT', 'REDIS_URL', 'SHUTDOWN_DEADLINE_MS']);
    assert.equal(fieldRef(wc, 'HOST'), 'status.podIP');
    assert.deepEqual(wc.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
    assert.deepEqual(wc.ports, [{ name: 'metrics', containerPort: 9464 }]);

    const surge = arm.levers.includes('surge');
    for (const d of [svc, wrk]) {
      assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: surge ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: 1 } });
    }

    const redis = get(objs, 'Deployment', 'redis').spec.template.spec.containers[0];
    assert.deepEqual([redis.image, ...redis.command, ...redis.args].slice(0, 4), ['redis:7.2-alpine', 'redis-server', '--bind', '$(POD_IP)']);
    assert.equal(fieldRef(redis, 'POD_IP'), 'status.podIP');
    assert.deepEqual(get(objs, 'Service', 'redis').spec.ports, [{ name: 'redis', port: 6379, targetPort: 'redis' }]);
    assert.deepEqual(get(objs, 'Service', 'service').spec, { selector: { app: 'service' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    const ing = get(objs, 'Ingress', 'service').spec;
    assert.equal(ing.ingressClassName, 'nginx');
    assert.deepEqual(ing.rules[0].http.paths, [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'service', port: { number: 80 } } } }]);
    assert.equal(get(objs, 'PodDisruptionBudget', 'service').spec.maxUnavailable, 1);
    assert.match(get(objs, 'ConfigMap', 'service-config').data['config.yaml'], /^slowDefaultMs: 1000$/m);
  });
}
