// Which container a Service port reaches, and whether only monitoring reaches it (routing.ts), on
// kube-prometheus (test/fixtures/real/kube-prometheus, prometheus-operator/kube-prometheus at the commit
// in its source.json): its exporters and the operator are only scraped, Grafana and prometheus-adapter
// serve requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runDoctor, type DoctorReport } from '../../lab/tools/doctor/index.js';
import { ROOT } from '../helpers/proc.js';
import { container, deployment, doctorOn, service } from './fixtures.js';

const DIR = join(ROOT, 'test/fixtures/real/kube-prometheus/manifests');
const SCRAPED = ['DaemonSet/node-exporter', 'Deployment/blackbox-exporter', 'Deployment/kube-state-metrics', 'Deployment/prometheus-operator'];
const TRAFFIC_IDS = /^(readiness-probe-missing|readiness-prestop-missing|surge-single-replica)$/;

const on = (r: DoctorReport, object: string) => r.findings.filter((f) => f.object === object && TRAFFIC_IDS.test(f.id));

async function kubePrometheus(keep: (file: string) => boolean): Promise<DoctorReport> {
  return runDoctor({ paths: readdirSync(DIR).filter(keep).map((f) => join(DIR, f)) });
}

test('kube-prometheus: the exporters and the operator, reached only through scraped ports, get info; Grafana and prometheus-adapter keep their errors', async () => {
  const r = await kubePrometheus(() => true);
  for (const object of SCRAPED) {
    const fs = on(r, object);
    assert.ok(fs.length > 0, object);
    for (const f of fs) {
      assert.equal(f.severity, 'info', `${object} ${f.id} ${f.path}`);
      assert.match(f.why, /only monitoring reaches it/);
    }
  }
  assert.equal(on(r, 'Deployment/grafana').find((f) => f.id === 'readiness-prestop-missing')?.severity, 'error');
  assert.equal(on(r, 'Deployment/grafana').find((f) => f.id === 'surge-single-replica')?.severity, 'warning');
  assert.equal(on(r, 'Deployment/prometheus-adapter').find((f) => f.id === 'readiness-prestop-missing')?.severity, 'error');
  // the operator's own container: its Service's only port targets kube-rbac-proxy's `https`, not it
  assert.deepEqual(on(r, 'Deployment/prometheus-operator').filter((f) => f.path.includes('containers[0]')), []);
});

test('kube-prometheus without its ServiceMonitors: nothing says Prometheus is the only client, so the findings are errors again', async () => {
  const r = await kubePrometheus((f) => !f.endsWith('-serviceMonitor.yaml'));
  for (const object of SCRAPED) {
    const prestop = on(r, object).filter((f) => f.id === 'readiness-prestop-missing');
    assert.ok(prestop.length > 0, object);
    for (const f of prestop) assert.equal(f.severity, 'error', `${object} ${f.path}`);
  }
  // targetPort still decides which container is behind the Service
  assert.deepEqual(on(r, 'Deployment/prometheus-operator').filter((f) => f.path.includes('containers[0]')), []);
});

test('a Service port reaches the container whose containerPort its numeric targetPort names; an undeclared number reaches every container with ports', async () => {
  const app = container({ name: 'app', ports: [{ containerPort: 8080 }], readinessProbe: undefined });
  const side = container({ name: 'side', ports: [{ containerPort: 9000 }], readinessProbe: undefined });
  const two = (targetPort: number) => {
    const d = deployment('app', app);
    d.spec.template.spec.containers.push(side);
    const s = service('app');
    s.spec.ports = [{ port: 80, targetPort }];
    return [d, s];
  };
  const probed = async (targetPort: number) => (await doctorOn(two(targetPort))).findings.filter((f) => f.id === 'readiness-probe-missing').map((f) => f.path);
  assert.deepEqual(await probed(9000), ['spec.template.spec.containers[1].readinessProbe']);
  assert.deepEqual(await probed(8080), ['spec.template.spec.containers[0].readinessProbe']);
  assert.deepEqual((await probed(7000)).length, 2);
});

test('a kube-rbac-proxy or exporter port that no ServiceMonitor scrapes is traffic; a scraped port on another program is traffic', async () => {
  const monitor = (port: string) => ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'm' }, spec: { selector: { matchLabels: { app: 'app' } }, endpoints: [{ port }] } });
  const svc = () => {
    const s = service('app');
    s.metadata.labels = { app: 'app' };
    s.spec.ports = [{ name: 'https', port: 8443, targetPort: 'https' }];
    return s;
  };
  const proxy = container({ name: 'kube-rbac-proxy', image: 'quay.io/brancz/kube-rbac-proxy:v0.18.0', ports: [{ name: 'https', containerPort: 8443 }], readinessProbe: undefined });
  const sev = async (objs: any[]) => (await doctorOn(objs)).findings.find((f) => f.id === 'readiness-probe-missing')?.severity;
  assert.equal(await sev([deployment('app', proxy), svc(), monitor('https')]), 'info');
  assert.equal(await sev([deployment('app', proxy), svc(), monitor('other')]), 'error');
  assert.equal(await sev([deployment('app', proxy), svc()]), 'error');
  const web = container({ name: 'web', image: 'grafana/grafana:11.0.0', ports: [{ name: 'https', containerPort: 8443 }], readinessProbe: undefined });
  assert.equal(await sev([deployment('app', web), svc(), monitor('https')]), 'error');
  const exporter = container({ name: 'exp', image: 'oliver006/redis_exporter:v1.62.0', ports: [{ name: 'https', containerPort: 8443 }], readinessProbe: undefined });
  assert.equal(await sev([deployment('app', exporter), svc(), monitor('https')]), 'info');
  assert.equal(await sev([deployment('app', exporter), svc()]), 'error');
});

test('kubebuilder\'s scaffold: a Service that targets the manager\'s --metrics-bind-address port is monitoring; its webhook Service is traffic', async () => {
  const kb = join(ROOT, 'test/fixtures/real/kubebuilder');
  // getting-started: the only Service is …-controller-manager-metrics-service, 8443 = --metrics-bind-address=:8443
  const metricsOnly = await runDoctor({ paths: [join(kb, 'docs/book/src/getting-started/testdata/project/dist/install.yaml')] });
  const soft = on(metricsOnly, 'Deployment/project-controller-manager');
  assert.deepEqual(soft.map((f) => f.id).sort(), ['readiness-prestop-missing', 'surge-single-replica']);
  for (const f of soft) assert.equal(f.severity, 'info', f.id);
  // project-v4: the same manager also serves its webhooks (443 → 9443) to the API server
  const webhooks = await runDoctor({ paths: [join(kb, 'testdata/project-v4/dist/install.yaml')] });
  const hard = on(webhooks, 'Deployment/project-v4-controller-manager');
  assert.equal(hard.find((f) => f.id === 'readiness-prestop-missing')?.severity, 'error');
  assert.equal(hard.find((f) => f.id === 'surge-single-replica')?.severity, 'warning');
});

test('a metrics flag counts only for the port the Service targets: --metrics-port=9090 with the Service on 8080 is traffic', async () => {
  const app = (args: string[]) => container({ name: 'app', ports: [{ name: 'http', containerPort: 8080 }], args, readinessProbe: undefined });
  const svc = (targetPort: number) => {
    const s = service('app');
    s.spec.ports = [{ port: 80, targetPort }];
    return s;
  };
  const sev = async (args: string[], targetPort: number) => (await doctorOn([deployment('app', app(args)), svc(targetPort)])).findings.find((f) => f.id === 'readiness-probe-missing')?.severity;
  assert.equal(await sev(['--metrics-port=9090'], 9090), 'info');
  assert.equal(await sev(['--metrics-bind-address', ':9090'], 9090), 'info');
  assert.equal(await sev(['--metrics-port=9090'], 8080), 'error');
  assert.equal(await sev(['--metrics-relist-interval=9090'], 9090), 'error');
});

test('a PodMonitor counts as the scrape too: on the pod port the Service targets, or (for an exporter) on the pods at all; in another namespace it does not', async () => {
  const podMonitor = (port: string, namespace?: string) => ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'pm', ...(namespace ? { namespace } : {}) },
    spec: { selector: { matchLabels: { app: 'app' } }, podMetricsEndpoints: [{ port }] } });
  const svc = () => {
    const s = service('app');
    s.metadata.namespace = 'apps';
    s.spec.ports = [{ name: 'https', port: 8443, targetPort: 'https' }];
    return s;
  };
  const inApps = (d: any) => ({ ...d, metadata: { ...d.metadata, namespace: 'apps' } });
  const proxy = container({ name: 'kube-rbac-proxy', image: 'quay.io/brancz/kube-rbac-proxy:v0.18.0', ports: [{ name: 'https', containerPort: 8443 }], readinessProbe: undefined });
  const sev = async (objs: any[]) => (await doctorOn(objs)).findings.find((f) => f.id === 'readiness-probe-missing')?.severity;
  assert.equal(await sev([inApps(deployment('app', proxy)), svc(), podMonitor('https', 'apps')]), 'info');
  assert.equal(await sev([inApps(deployment('app', proxy)), svc(), podMonitor('https', 'monitoring')]), 'error');
  assert.equal(await sev([inApps(deployment('app', proxy)), svc(), podMonitor('metrics', 'apps')]), 'error');
  const exporter = container({ name: 'exp', image: 'prom/mysqld-exporter:v0.15.1', ports: [{ name: 'https', containerPort: 8443 }], readinessProbe: undefined });
  assert.equal(await sev([inApps(deployment('app', exporter)), svc(), podMonitor('other', 'apps')]), 'info');
});
