// What the local target reads from a rendered manifest, field by field. A field is either honoured
// ('use': it changes what runs), knowingly ignored ('noop': it has no local meaning; listed in
// docs/local-vs-kind.md), or a free-form map ('map': labels, annotations, ConfigMap data).
// Anything absent from this tree is rejected with LAB_UNSUPPORTED_MANIFEST, so a manifest can
// never silently mean something different locally than on a cluster.
//
// Hand-written instead of validating against a JSON schema: a schema says what Kubernetes
// accepts, this says what the local target implements, which is the question a user asks.

export type FieldSpec = 'use' | 'noop' | 'map' | { readonly [key: string]: FieldSpec } | readonly [FieldSpec];

const metadata: FieldSpec = { name: 'use', namespace: 'use', labels: 'map', annotations: 'map' };
const keyToPath: FieldSpec = [{ key: 'use', path: 'use', mode: 'noop' }];
const httpGet: FieldSpec = { path: 'use', port: 'use', host: 'use', scheme: 'use', httpHeaders: [{ name: 'use', value: 'use' }] };
const exec: FieldSpec = { command: 'use' };
const probe: FieldSpec = {
  httpGet, exec, tcpSocket: { port: 'use', host: 'use' },
  initialDelaySeconds: 'use', periodSeconds: 'use', timeoutSeconds: 'use', failureThreshold: 'use', successThreshold: 'use',
  terminationGracePeriodSeconds: 'use',
};
const handler: FieldSpec = { sleep: { seconds: 'use' }, exec, httpGet };
// Who the processes run as is honoured (lab/targets/local/pod-user.ts); the rest of the sandbox
// (capabilities, seccomp, read-only root) has no local counterpart: there is no container runtime.
const sandbox = { seccompProfile: 'noop', seLinuxOptions: 'noop', appArmorProfile: 'noop', windowsOptions: 'noop' } as const;
const containerSecurity: FieldSpec = {
  runAsUser: 'use', runAsGroup: 'use', runAsNonRoot: 'use',
  allowPrivilegeEscalation: 'noop', privileged: 'noop', capabilities: 'noop', readOnlyRootFilesystem: 'noop', procMount: 'noop', ...sandbox,
};
const podSecurity: FieldSpec = {
  runAsUser: 'use', runAsGroup: 'use', runAsNonRoot: 'use', fsGroup: 'use', supplementalGroups: 'use',
  fsGroupChangePolicy: 'noop', supplementalGroupsPolicy: 'noop', seLinuxChangePolicy: 'noop', sysctls: 'noop', ...sandbox,
};

const container: FieldSpec = {
  name: 'use', command: 'use', args: 'use', workingDir: 'use',
  env: [{
    name: 'use', value: 'use',
    valueFrom: {
      fieldRef: { fieldPath: 'use', apiVersion: 'noop' },
      configMapKeyRef: { name: 'use', key: 'use', optional: 'use' },
      secretKeyRef: { name: 'use', key: 'use', optional: 'use' },
    },
  }],
  ports: [{ name: 'use', containerPort: 'use', protocol: 'use' }],
  readinessProbe: probe, livenessProbe: probe, startupProbe: probe,
  lifecycle: { preStop: handler },
  volumeMounts: [{ name: 'use', mountPath: 'use', readOnly: 'use', subPath: 'use' }],
  securityContext: containerSecurity,
  // No local meaning: there is no image (the repo is the image) and no cgroup limits.
  image: 'noop', imagePullPolicy: 'noop', resources: 'noop',
  terminationMessagePath: 'noop', terminationMessagePolicy: 'noop', stdin: 'noop', tty: 'noop',
};

const podSpec: FieldSpec = {
  containers: [container],
  terminationGracePeriodSeconds: 'use',
  restartPolicy: 'use',
  volumes: [{
    name: 'use',
    configMap: { name: 'use', items: keyToPath, defaultMode: 'noop', optional: 'use' },
    secret: { secretName: 'use', items: keyToPath, defaultMode: 'noop', optional: 'use' },
    emptyDir: { medium: 'noop', sizeLimit: 'noop' },
  }],
  securityContext: podSecurity,
  // Scheduling and identity: one machine, no service account, no kubelet sandbox to configure.
  nodeSelector: 'noop', affinity: 'noop', tolerations: 'noop',
  topologySpreadConstraints: 'noop', serviceAccountName: 'noop', automountServiceAccountToken: 'noop',
  enableServiceLinks: 'noop', dnsPolicy: 'noop', priorityClassName: 'noop', imagePullSecrets: 'noop',
  schedulerName: 'noop',
};

export const KIND_FIELDS: Readonly<Record<string, FieldSpec>> = {
  Namespace: { apiVersion: 'use', kind: 'use', metadata },
  ConfigMap: { apiVersion: 'use', kind: 'use', metadata, data: 'map', immutable: 'noop' },
  Secret: { apiVersion: 'use', kind: 'use', metadata, data: 'map', stringData: 'map', type: 'noop', immutable: 'noop' },
  Deployment: {
    apiVersion: 'use', kind: 'use', metadata,
    spec: {
      replicas: 'use', minReadySeconds: 'use', progressDeadlineSeconds: 'use', revisionHistoryLimit: 'noop', paused: 'use',
      selector: { matchLabels: 'map' },
      strategy: { type: 'use', rollingUpdate: { maxSurge: 'use', maxUnavailable: 'use' } },
      template: { metadata: { labels: 'map', annotations: 'map' }, spec: podSpec },
    },
  },
  Service: {
    apiVersion: 'use', kind: 'use', metadata,
    spec: {
      selector: 'map', type: 'use',
      ports: [{ name: 'use', port: 'use', targetPort: 'use', protocol: 'use', appProtocol: 'noop' }],
      sessionAffinity: 'use', ipFamilyPolicy: 'noop', ipFamilies: 'noop', internalTrafficPolicy: 'noop',
    },
  },
  Ingress: {
    apiVersion: 'use', kind: 'use', metadata,
    spec: {
      ingressClassName: 'noop',
      defaultBackend: { service: { name: 'use', port: { number: 'use', name: 'use' } } },
      rules: [{
        host: 'use',
        http: { paths: [{ path: 'use', pathType: 'use', backend: { service: { name: 'use', port: { number: 'use', name: 'use' } } } }] },
      }],
    },
  },
  // Only evictions honour a PDB; a Deployment rollout never consults it, and nothing evicts locally.
  PodDisruptionBudget: {
    apiVersion: 'use', kind: 'use', metadata,
    spec: { minAvailable: 'noop', maxUnavailable: 'noop', selector: 'noop', unhealthyPodEvictionPolicy: 'noop' },
  },
};

/** Ingress annotations the L7 proxy honours (ingress-nginx names); any other nginx.ingress.kubernetes.io/* is rejected. */
export const INGRESS_ANNOTATIONS = {
  'nginx.ingress.kubernetes.io/proxy-next-upstream': 'nextUpstream',
  'nginx.ingress.kubernetes.io/proxy-next-upstream-tries': 'nextUpstreamTries',
  'nginx.ingress.kubernetes.io/proxy-connect-timeout': 'connectTimeoutS',
  'nginx.ingress.kubernetes.io/proxy-read-timeout': 'readTimeoutS',
  'nginx.ingress.kubernetes.io/proxy-send-timeout': 'sendTimeoutS',
} as const;

/**
 * Walks `value` against `spec`, throwing on the first field the local target does not know.
 * `path` is the JSONPath-like location used in the error (e.g. spec.template.spec.containers[0].foo).
 */
export function unsupportedFields(value: unknown, spec: FieldSpec, path: string, out: string[] = []): string[] {
  if (spec === 'use' || spec === 'noop' || value === null || value === undefined) return out;
  if (spec === 'map') {
    if (typeof value !== 'object' || Array.isArray(value)) out.push(`${path} (expected a map)`);
    return out;
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(value)) { out.push(`${path} (expected a list)`); return out; }
    value.forEach((item, i) => unsupportedFields(item, spec[0] as FieldSpec, `${path}[${i}]`, out));
    return out;
  }
  if (typeof value !== 'object' || Array.isArray(value)) { out.push(`${path} (expected an object)`); return out; }
  const fields = spec as Record<string, FieldSpec>;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = fields[k];
    const here = path ? `${path}.${k}` : k;
    if (sub === undefined) out.push(here);
    else unsupportedFields(v, sub, here, out);
  }
  return out;
}
