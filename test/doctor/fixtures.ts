// Small manifest builders for the doctor's rule tests: each test writes real YAML to a temp file and
// runs the doctor on it, the way a user would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { runDoctor, type DoctorReport, type Finding } from '../../lab/tools/doctor/index.js';

type Obj = Record<string, any>;

export function container(over: Obj = {}): Obj {
  return { name: 'app', image: 'example/app:1', command: ['node', 'server.js'], ports: [{ name: 'http', containerPort: 8080 }], ...over };
}

export function deployment(name: string, c: Obj, spec: Obj = {}, pod: Obj = {}): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas: 3, selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [c], ...pod } },
      ...spec,
    },
  };
}

export function service(name: string, selector: Obj = { app: name }): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector, ports: [{ port: 80, targetPort: 'http' }] } };
}

export const env = (vars: Record<string, string>) => Object.entries(vars).map(([name, value]) => ({ name, value }));

/** A container that passes every readiness/drain rule for a generic app. */
export function goodServed(over: Obj = {}): Obj {
  return container({
    readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
    livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
    lifecycle: { preStop: { sleep: { seconds: 3 } } },
    env: env({ SHUTDOWN_DEADLINE_MS: '5000' }),
    ...over,
  });
}

export function writeTemp(name: string, text: string): { file: string; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const yamlOf = (objs: Obj[]) => objs.map((o) => YAML.stringify(o)).join('---\n');

export async function doctorOn(objs: Obj[], opts: { dockerfile?: string; deregistrationS?: number; drainS?: number } = {}): Promise<DoctorReport> {
  const t = writeTemp('manifest.yaml', yamlOf(objs));
  try {
    return await runDoctor({ paths: [t.file], deregistrationS: 1, ...opts });
  } finally {
    t.cleanup();
  }
}

export const ids = (r: DoctorReport) => r.findings.map((f) => f.id);
export const byId = (r: DoctorReport, id: string): Finding[] => r.findings.filter((f) => f.id === id);
