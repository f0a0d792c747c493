import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from '../helpers/proc.js';

// Small fixture manifests in the shape the k8s engineer renders (Deployment + Service, optional
// Ingress and Redis), pointed at test/local/fixtures/server.mjs instead of the real service.

export const FIXTURE_SERVER = 'test/local/fixtures/server.mjs';

export interface FixtureApp {
  name?: string;
  replicas?: number;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  minReadySeconds?: number;
  grace?: number;
  /** 'exec' runs node as PID 1; 'shell' runs /bin/sh -c "node …" (sh is PID 1) */
  form?: 'exec' | 'shell';
  onSigterm?: 'none' | 'graceful' | 'close-listener';
  port?: number;
  readiness?: boolean;
  preStopSleep?: number;
  env?: Record<string, string>;
  /** mount this ConfigMap at /etc/lab */
  configMap?: string;
}

export function deployment(app: FixtureApp): Record<string, unknown>[] {
  const name = app.name ?? 'service';
  const port = app.port ?? 3000;
  const command = app.form === 'shell' ? ['/bin/sh', '-c', `node ${FIXTURE_SERVER}`] : ['node', FIXTURE_SERVER];
  const env = [
    { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'PORT', value: String(port) },
    { name: 'ON_SIGTERM', value: app.onSigterm ?? 'graceful' },
    ...Object.entries(app.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
  ];
  const container: Record<string, unknown> = {
    name, image: 'deploy-loss-lab:dev', imagePullPolicy: 'IfNotPresent', workingDir: '/app', command,
    ports: [{ name: 'http', containerPort: port }], env,
    resources: { requests: { cpu: '50m' } },
    securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true },
  };
  if (app.readiness) container.readinessProbe = { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 };
  if (app.configMap) container.volumeMounts = [{ name: 'config', mountPath: '/etc/lab', readOnly: true }];
  if (app.preStopSleep !== undefined) container.lifecycle = { preStop: { sleep: { seconds: app.preStopSleep } } };
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'deploy-loss-lab', labels: { app: name } },
      spec: {
        replicas: app.replicas ?? 1,
        selector: { matchLabels: { app: name } },
        ...(app.minReadySeconds !== undefined ? { minReadySeconds: app.minReadySeconds } : {}),
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: app.maxSurge ?? 0, maxUnavailable: app.maxUnavailable ?? 1 } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            terminationGracePeriodSeconds: app.grace ?? 5,
            containers: [container],
            ...(app.configMap ? { volumes: [{ name: 'config', configMap: { name: app.configMap } }] } : {}),
          },
        },
      },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'deploy-loss-lab' },
      spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
  ];
}

export const REDIS_OBJECTS: Record<string, unknown>[] = [
  {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'redis', namespace: 'deploy-loss-lab' },
    spec: {
      replicas: 1, selector: { matchLabels: { app: 'redis' } },
      template: {
        metadata: { labels: { app: 'redis' } },
        spec: {
          containers: [{
            name: 'redis', image: 'redis:7.2-alpine', command: ['redis-server'],
            args: ['--bind', '$(POD_IP)', '--port', '6379', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
            env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
            ports: [{ name: 'redis', containerPort: 6379 }],
            readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 1 },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          }],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'redis' }, spec: { selector: { app: 'redis' }, ports: [{ name: 'redis', port: 6379, targetPort: 'redis' }] } },
];

export const INGRESS_OBJECT: Record<string, unknown> = {
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'service' },
  spec: { ingressClassName: 'nginx', rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'service', port: { number: 80 } } } }] } }] },
};

export function toYaml(objects: unknown[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** A temp dir holding manifest.yaml and a run dir; remove() deletes it. */
export function workspace(objects: unknown[] | string): { manifestFile: string; runDir: string; dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'lab-local-'));
  chmodSync(dir, 0o755); // mkdtemp's 0700 would keep pods that run as another uid (nobody, runAsUser) out of their run dir
  const manifestFile = join(dir, 'manifest.yaml');
  writeFileSync(manifestFile, typeof objects === 'string' ? objects : toYaml(objects));
  return { manifestFile, runDir: join(dir, 'run'), dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Running (a zombie waiting for the machine's init to reap it counts as dead: it holds nothing). */
export function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch { return false; }
}

export { ROOT };

/** Waits (bounded) until a pod's log file contains `pattern`: e.g. the fixture's "listening" line. */
export async function waitForLog(file: string, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { /* not created yet */ }
    if (pattern.test(text)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${file} did not show ${pattern} within ${timeoutMs} ms`);
}
