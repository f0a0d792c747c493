import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runDoctor, type DoctorReport } from '../../lab/tools/doctor/index.js';
import { ROOT } from '../helpers/proc.js';
import { byId, container, deployment, doctorOn, goodServed, ids, service } from './fixtures.js';
import { readObjects } from './patcher.js';

const served = (c: Record<string, any>, opts = {}) => doctorOn([deployment('app', c), service('app')], opts);

test('readiness-probe-missing: a container behind a Service without a probe is found; with a probe, or not behind a Service, not', async () => {
  const r = await served(goodServed({ readinessProbe: undefined }));
  const [f] = byId(r, 'readiness-probe-missing');
  assert.ok(f, ids(r).join());
  assert.equal(f.path, 'spec.template.spec.containers[0].readinessProbe');
  assert.match(f.why, /502/);
  assert.deepEqual(byId(await served(goodServed()), 'readiness-probe-missing'), []);
  // not behind the input's Service (which fronts another workload): not served
  const unserved = await doctorOn([deployment('app', goodServed({ readinessProbe: undefined })), deployment('other', goodServed()), service('other')]);
  assert.deepEqual(byId(unserved, 'readiness-probe-missing'), []);
});

test('readiness-same-as-liveness: same endpoint and thresholds is found; a different endpoint or threshold is not', async () => {
  const probe = { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 };
  assert.equal(byId(await served(goodServed({ readinessProbe: probe, livenessProbe: { ...probe, failureThreshold: 3 } })), 'readiness-same-as-liveness').length, 1);
  assert.deepEqual(byId(await served(goodServed()), 'readiness-same-as-liveness'), []);
  assert.deepEqual(byId(await served(goodServed({ readinessProbe: probe, livenessProbe: { ...probe, failureThreshold: 6 } })), 'readiness-same-as-liveness'), []);
});

test('readiness-prestop-missing: no preStop behind a Service is found, sized 3 × the deregistration delay; a long enough one is not', async () => {
  const [f] = byId(await served(goodServed({ lifecycle: undefined }), { deregistrationS: 2 }), 'readiness-prestop-missing');
  assert.ok(f);
  assert.match(f.why, /3 × the deregistration delay 2 s \(--deregistration-s\), rounded up = 6 s; readiness-probe timing adds nothing: a terminating endpoint is never ready/);
  assert.match(f.fix, /sleep\.seconds: 6/);
  assert.deepEqual(f.patch?.[0], { path: ['spec', 'template', 'spec', 'containers', 0, 'lifecycle', 'preStop'], value: { sleep: { seconds: 6 } } });
  assert.deepEqual(byId(await served(goodServed({ lifecycle: { preStop: { sleep: { seconds: 6 } } } }), { deregistrationS: 2 }), 'readiness-prestop-missing'), []);
});

test('the readiness probe\'s period × failureThreshold does not add to the preStop (issue 22 item 1)', async () => {
  // grace 5 s and a 15 s probe period: the old sum told this Deployment preStop 47 s
  const slowProbe = { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 15, failureThreshold: 3 };
  const r = await served(goodServed({ readinessProbe: slowProbe, lifecycle: undefined, env: undefined }), { deregistrationS: 1 });
  const [f] = byId(r, 'readiness-prestop-missing');
  assert.match(f!.fix, /sleep\.seconds: 3\b/);
  assert.deepEqual(byId(await served(goodServed({ readinessProbe: slowProbe }), { deregistrationS: 1 }), 'readiness-prestop-short'), []);
});

test('readiness-prestop-short: under the delay itself is an error, under 3 × the delay a warning, 3 × is not found', async () => {
  const c = (s: number) => goodServed({ lifecycle: { preStop: { sleep: { seconds: s } } } });
  const [err] = byId(await served(c(1), { deregistrationS: 1.5 }), 'readiness-prestop-short');
  assert.equal(err?.severity, 'error');
  assert.match(err!.why, /waits 1 s, less than 3 × the deregistration delay 1\.5 s .* = 5 s/);
  assert.equal(byId(await served(c(3), { deregistrationS: 1.5 }), 'readiness-prestop-short')[0]?.severity, 'warning');
  assert.deepEqual(byId(await served(c(5), { deregistrationS: 1.5 }), 'readiness-prestop-short'), []);
  // an exec sleep counts the same way, behind a shell too
  assert.equal(byId(await served(goodServed({ lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 1'] } } } }), { deregistrationS: 3 }), 'readiness-prestop-short').length, 1);
  assert.deepEqual(byId(await served(goodServed({ lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo "stopping; now" && sleep 9'] } } } }), { deregistrationS: 3 }), 'readiness-prestop-short'), []);
});

test('sh -c "\'sleep 10\'" is not a 10 s sleep: the shell looks for a command named `sleep 10`', async () => {
  const quoted = goodServed({ lifecycle: { preStop: { exec: { command: ['sh', '-c', "'sleep 10'"] } } } });
  const r = await served(quoted, { deregistrationS: 1 });
  const [f] = byId(r, 'readiness-prestop-missing');
  assert.ok(f, r.findings.map((x) => x.id).join());
  assert.match(f.why, /runs a command named `sleep 10` \(quoted as one word\), which does not exist: the hook fails and SIGTERM comes at once/);
  // the same words unquoted, or double-quoted as separate words, are a sleep
  for (const script of ['sleep 10', '"sleep" "10"', 'sleep 10s']) {
    const ok = await served(goodServed({ lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', script] } } } }), { deregistrationS: 1 });
    assert.deepEqual(ok.findings.filter((x) => x.id.startsWith('readiness-prestop-') && x.id !== 'readiness-prestop-exec-sleep'), [], script);
  }
});

test('a Service exposing only metrics lowers the readiness findings to info, saying why', async () => {
  const metricsSvc = (ports: any[], annotations: Record<string, string> = {}) =>
    ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'app-metrics', annotations }, spec: { selector: { app: 'app' }, ports } });
  for (const svc of [metricsSvc([{ name: 'metrics', port: 9090 }]), metricsSvc([{ name: 'web', port: 9102 }], { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' })]) {
    const r = await doctorOn([deployment('app', goodServed({ readinessProbe: undefined, lifecycle: undefined })), svc]);
    for (const id of ['readiness-probe-missing', 'readiness-prestop-missing']) {
      const [f] = byId(r, id);
      assert.equal(f?.severity, 'info', id);
      assert.match(f!.why, /only monitoring reaches it/);
    }
  }
});

test('a Service that selects no pod does not silence the readiness and preStop rules', async () => {
  const r = await doctorOn([deployment('app', goodServed({ readinessProbe: undefined, lifecycle: undefined })), service('typo', { app: 'ap' })]);
  assert.equal(byId(r, 'manifest-dangling-service').length, 1);
  assert.equal(byId(r, 'readiness-probe-missing')[0]?.severity, 'error');
  assert.equal(byId(r, 'readiness-prestop-missing')[0]?.severity, 'error');
});

test('readiness-prestop-exec-sleep: an exec sleep is found; the native sleep action is not', async () => {
  const [f] = byId(await served(goodServed({ lifecycle: { preStop: { exec: { command: ['sleep', '3'] } } } })), 'readiness-prestop-exec-sleep');
  assert.ok(f);
  assert.match(f.fix, /preStop\.sleep\.seconds: 3/);
  assert.deepEqual(byId(await served(goodServed()), 'readiness-prestop-exec-sleep'), []);
  // not behind a Service: no preStop rules at all
  assert.deepEqual(ids(await doctorOn([deployment('w', container({ ports: undefined, lifecycle: { preStop: { exec: { command: ['sleep', '3'] } } } })), service('x', { app: 'x' })])).filter((i) => i.startsWith('readiness')), []);
});

const REAL = join(ROOT, 'test/fixtures/real');

test('an app\'s own wait after SIGTERM counts as its preStop: podinfo (3 s unless --level=debug) needs none behind kube-proxy, 177 s behind an ALB', async () => {
  const podinfo = join(REAL, 'podinfo/kustomize');
  const prestop = (r: DoctorReport) => r.findings.filter((f) => f.id.startsWith('readiness-prestop'));
  assert.deepEqual(prestop(await runDoctor({ paths: [podinfo] })), []);
  const [alb] = prestop(await runDoctor({ paths: [podinfo], lb: 'aws-alb-ip' }));
  assert.equal(alb?.id, 'readiness-prestop-missing');
  assert.match(alb!.why, /less 3 s of podinfo's own wait/);
  assert.deepEqual(alb!.patch?.[0]?.value, { sleep: { seconds: 177 } });
  // at --level=debug podinfo skips its wait (pkg/signals/shutdown.go), and so does the doctor
  const objects = readObjects(join(podinfo, 'deployment.yaml'));
  const c = objects[0]!.spec.template.spec.containers[0];
  c.command = c.command.map((a: string) => (a === '--level=info' ? '--level=debug' : a));
  const [debug] = prestop(await doctorOn([...objects, ...readObjects(join(podinfo, 'service.yaml'))]));
  assert.equal(debug?.severity, 'error');
  assert.doesNotMatch(debug!.why, /podinfo's own wait/);
});

test('where a pid1 error says PID 1 ignores SIGTERM, the preStop finding is info and says so; where it arrives, an error', async () => {
  // emojivoto's image: shell-form ENTRYPOINT on debian (dash stays PID 1)
  const emoji = join(REAL, 'emojivoto/kustomize/deployment/emoji.yml');
  const withImage = await runDoctor({ paths: [emoji], dockerfile: join(REAL, 'emojivoto/Dockerfile') });
  assert.equal(byId(withImage, 'pid1-dockerfile-shell-form')[0]?.severity, 'error');
  const [soft] = byId(withImage, 'readiness-prestop-missing');
  assert.equal(soft?.severity, 'info');
  assert.match(soft!.why, /today PID 1 ignores SIGTERM, pid1-dockerfile-shell-form, so the pod serves on until the SIGKILL at the end of its 30 s grace period/);
  assert.match(soft!.why, /once PID 1 is fixed this preStop is needed: apply it together with that fix/);
  assert.deepEqual(soft!.patch?.[0]?.value, { sleep: { seconds: 3 } }, 'the preStop is still the fix to apply with the pid1 one');
  assert.equal(byId(await runDoctor({ paths: [emoji] }), 'readiness-prestop-missing')[0]?.severity, 'error');
  // a manifest command: dash as PID 1 in front of node, against node as PID 1
  const dash = await served(goodServed({ image: 'node:20', command: ['/bin/sh', '-c', 'node migrate.js && node server.js'], lifecycle: undefined }));
  assert.equal(byId(dash, 'pid1-shell-wrapper')[0]?.severity, 'error');
  assert.equal(byId(dash, 'readiness-prestop-missing')[0]?.severity, 'info');
  const direct = await served(goodServed({ image: 'node:20', command: ['node', 'server.js'], lifecycle: undefined }));
  assert.equal(byId(direct, 'readiness-prestop-missing')[0]?.severity, 'error');
});

test('npm as PID 1 is an error of its own, but not one that keeps the app serving: npm passes SIGTERM on and the app dies with it, so the preStop finding stays an error', async () => {
  const npm = await served(goodServed({ image: 'node:20', command: ['npm', 'start'], lifecycle: undefined }));
  assert.equal(byId(npm, 'pid1-package-manager')[0]?.severity, 'error');
  assert.equal(byId(npm, 'readiness-prestop-missing')[0]?.severity, 'error');
  // behind `sh -c` on a Debian image dash stays PID 1 and ignores SIGTERM: then the app does serve on
  const dashNpm = await served(goodServed({ image: 'node:20', command: ['sh', '-c', 'npm start'], lifecycle: undefined }));
  assert.equal(byId(dashNpm, 'pid1-package-manager')[0]?.severity, 'error');
  assert.equal(byId(dashNpm, 'readiness-prestop-missing')[0]?.severity, 'info');
});
