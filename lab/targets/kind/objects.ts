import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { K6Sizing } from './k6-sizing.js';
import { APP_UID, K6_IMAGE, K6_UID, LABEL_PART_OF, LABEL_RUN, NAMESPACE } from './constants.js';

// The objects the kind target creates besides the rendered arm: the k6 script ConfigMap and Job,
// and the in-cluster ledger audit (its ServiceAccount may read pod logs, nothing else).

export const K6_CONFIGMAP = 'lab-k6';
export const AUDITOR = 'lab-auditor';

/** The k6 phase plan, in seconds; the orchestrator and the k6 script share it through env. */
export interface PhasePlan {
  warmupSeconds: number;
  baselineSeconds: number;
  deploySeconds: number;
  cooldownSeconds: number;
}

export function planSeconds(p: PhasePlan): number {
  return p.warmupSeconds + p.baselineSeconds + p.deploySeconds + p.cooldownSeconds;
}

/** Every Job the lab creates is deleted by the lab; this is the backstop when the lab itself died. */
export const JOB_TTL_SECONDS = 600;
/**
 * A Job's activeDeadlineSeconds runs from the Job's start, image pulls included (so does a pod's).
 * The pull is bounded, and a failed one stopped at once, by the orchestrator (waitJobPod, 300 s,
 * LAB_IMAGE_PULL); this allowance keeps a slow pull the orchestrator accepts from eating the run.
 */
export const IMAGE_PULL_ALLOWANCE_SECONDS = 600;

// Restricted Pod Security profile: the namespace enforces it (k8s/base/namespace.yaml).
function restricted(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function labels(runId: string, component: string): Record<string, string> {
  return { [LABEL_PART_OF]: 'deploy-loss-lab', [LABEL_RUN]: runId, 'app.kubernetes.io/component': component };
}

export function k6ConfigMap(root: string): KubernetesObject {
  const read = (p: string) => readFileSync(join(root, p), 'utf8');
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: K6_CONFIGMAP, namespace: NAMESPACE, labels: { [LABEL_PART_OF]: 'deploy-loss-lab' } },
    data: {
      'script.js': read('loadtest/k6/script.js'),
      'classify.js': read('loadtest/k6/classify.js'),
      'scenario.json': read('loadtest/scenario.json'),
    },
  } as KubernetesObject;
}

export interface K6JobOptions {
  name: string;
  runId: string;
  rate: number;
  keepAlive: boolean;
  paths: string[];
  plan: PhasePlan;
  l4Url: string;
  ingressUrl: string;
  ingressHost: string | null;
  timeoutSeconds: number;
  /** VUs and memory (lab/targets/kind/k6-sizing.ts) */
  sizing: K6Sizing;
}

export function k6Job(o: K6JobOptions): KubernetesObject {
  const env: Record<string, string> = {
    LAB_RUN_ID: o.runId,
    LAB_RATE: String(o.rate),
    LAB_KEEPALIVE: String(o.keepAlive),
    LAB_PATHS: o.paths.join(','),
    LAB_L4_URL: o.l4Url,
    LAB_INGRESS_URL: o.ingressUrl,
    LAB_WARMUP_SECONDS: String(o.plan.warmupSeconds),
    LAB_BASELINE_SECONDS: String(o.plan.baselineSeconds),
    LAB_DEPLOY_SECONDS: String(o.plan.deploySeconds),
    LAB_COOLDOWN_SECONDS: String(o.plan.cooldownSeconds),
    LAB_PREALLOCATED_VUS: String(o.sizing.preAllocatedVUs),
    LAB_MAX_VUS: String(o.sizing.maxVUs),
  };
  if (o.ingressHost) env.LAB_INGRESS_HOST = o.ingressHost;
  // The pod must outlive the whole plan plus k6's graceful stop and an image pull; past that it is stuck.
  const deadline = Math.ceil(planSeconds(o.plan) + o.timeoutSeconds + 120 + IMAGE_PULL_ALLOWANCE_SECONDS);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.name, namespace: NAMESPACE, labels: labels(o.runId, 'k6') },
    spec: {
      backoffLimit: 0, // a second k6 run would double the load and the accepted jobs
      activeDeadlineSeconds: deadline,
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      template: {
        metadata: { labels: labels(o.runId, 'k6') },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'k6',
              image: K6_IMAGE,
              workingDir: '/scripts',
              args: ['run', '--quiet', '--no-color', '--log-format=raw', '/scripts/script.js'],
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              resources: { requests: { cpu: '250m', memory: `${o.sizing.memoryRequestMiB}Mi` }, limits: { cpu: '1', memory: `${o.sizing.memoryLimitMiB}Mi` } },
              securityContext: restricted(K6_UID),
              volumeMounts: [
                { name: 'scripts', mountPath: '/scripts', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'scripts', configMap: { name: K6_CONFIGMAP } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  } as KubernetesObject;
}

/** ServiceAccount, Role and RoleBinding of the audit Job: read pods and their logs in the lab namespace only. */
export function auditorRbac(): KubernetesObject[] {
  const meta = { name: AUDITOR, namespace: NAMESPACE, labels: { [LABEL_PART_OF]: 'deploy-loss-lab' } };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta,
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: AUDITOR },
      subjects: [{ kind: 'ServiceAccount', name: AUDITOR, namespace: NAMESPACE }],
    } as KubernetesObject,
  ];
}

export type AuditMode = 'reset' | 'audit';

/**
 * The ledger Job, run from the lab image: `reset` clears the ledger before a repetition; `audit`
 * reads the accepted jobs from the k6 pod's log (LAB_JOB lines) and audits Redis against them.
 */
export function auditJob(o: { name: string; runId: string; image: string; mode: AuditMode; k6Job?: string }): KubernetesObject {
  const args = ['dist/lab/targets/kind/audit-main.js', o.mode];
  if (o.k6Job) args.push(o.k6Job);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.name, namespace: NAMESPACE, labels: labels(o.runId, `ledger-${o.mode}`) },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 120 + IMAGE_PULL_ALLOWANCE_SECONDS,
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      template: {
        metadata: { labels: labels(o.runId, `ledger-${o.mode}`) },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: AUDITOR,
          automountServiceAccountToken: o.mode === 'audit',
          containers: [
            {
              name: 'audit',
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              workingDir: '/app',
              command: ['node'],
              args,
              env: [
                { name: 'REDIS_URL', value: 'redis://redis:6379' },
                { name: 'LAB_NAMESPACE', value: NAMESPACE },
              ],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: restricted(APP_UID),
            },
          ],
        },
      },
    },
  } as KubernetesObject;
}
