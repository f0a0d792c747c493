import { stringify } from 'yaml';
import { APP_DIR } from '../../targets/local/manifest.js';
import type { PodNetworkMode } from '../../targets/local/pod-network.js';
import type { K8sObject, UserManifests } from './user-manifests.js';

// The user's manifests made runnable by the local target, with every change stated in `notes`:
// workingDir → /app (which the local target maps to --app-dir), the pod address passed in as
// HOST and POD_IP when pods share the loopback network (the app must bind to it), --env overrides, an
// HTTPRoute served as the equivalent Ingress, and objects without a local meaning left out.

/** Kinds that change nothing about a rollout on one machine: left out, with a note. */
const SKIPPED_KINDS = ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'NetworkPolicy',
  'HorizontalPodAutoscaler', 'Gateway', 'GatewayClass', 'ServiceMonitor', 'PodMonitor', 'LimitRange', 'ResourceQuota'];
/** The address variables the lab passes to each pod (its own 127.x.y.z). */
export const ADDRESS_ENV = ['HOST', 'POD_IP'] as const;

export interface Localized {
  objects: K8sObject[];
  notes: string[];
}

type EnvEntry = { name: string; value?: string; valueFrom?: unknown };

function setEnv(env: EnvEntry[], entry: EnvEntry): EnvEntry[] {
  return [...env.filter((e) => e.name !== entry.name), entry];
}

function localizeDeployment(d: K8sObject, target: boolean, overrides: Record<string, string>, network: PodNetworkMode, notes: string[]): K8sObject {
  const copy = structuredClone(d);
  const name = copy.metadata?.name;
  const c = copy.spec?.template?.spec?.containers?.[0];
  if (!c) return copy; // the local target's parser names the missing container
  const wd: string | undefined = c.workingDir;
  if (target || wd !== undefined) {
    if (wd !== undefined && wd !== APP_DIR) {
      // absolute paths under the image's workingDir become paths under --app-dir
      const rewrite = (s: unknown) => (typeof s === 'string' ? s.split(`${wd.replace(/\/+$/, '')}/`).join('./') : s);
      if (Array.isArray(c.command)) c.command = c.command.map(rewrite);
      if (Array.isArray(c.args)) c.args = c.args.map(rewrite);
      notes.push(`Deployment/${name}: workingDir ${wd} runs in --app-dir`);
    }
    c.workingDir = APP_DIR;
  }
  if (!target) return copy;
  let env: EnvEntry[] = Array.isArray(c.env) ? c.env : [];
  // each pod in its own namespace may bind 0.0.0.0 as on a cluster: its environment stays the manifest's
  for (const v of network === 'loopback' ? ADDRESS_ENV : []) {
    const had = env.find((e) => e.name === v);
    if (had?.value !== undefined) notes.push(`Deployment/${name}: env ${v}="${had.value}" replaced by the pod's own address (replicas share one machine)`);
    if (!had || had.value !== undefined) env = setEnv(env, { name: v, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  }
  for (const [k, v] of Object.entries(overrides)) {
    env = setEnv(env, { name: k, value: v });
    notes.push(`Deployment/${name}: env ${k} set by --env`);
  }
  c.env = env;
  return copy;
}

/** An HTTPRoute as the Ingress the local proxy serves (path matches and the first backendRef of each rule). */
export function ingressFromHttpRoute(r: K8sObject): K8sObject {
  const rules = (r.spec?.rules ?? []) as Array<{ matches?: Array<{ path?: { type?: string; value?: string } }>; backendRefs?: Array<{ name: string; port?: number }> }>;
  const paths = rules.flatMap((rule) => {
    const b = rule.backendRefs?.[0];
    if (!b) return [];
    const matches = rule.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
    return matches.map((m) => ({
      path: m.path?.value ?? '/',
      pathType: m.path?.type === 'Exact' ? 'Exact' : 'Prefix',
      backend: { service: { name: b.name, port: { number: b.port ?? 80 } } },
    }));
  });
  const host = (r.spec?.hostnames as string[] | undefined)?.[0];
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { name: r.metadata?.name ?? 'route', ...(r.metadata?.namespace ? { namespace: r.metadata.namespace } : {}) },
    spec: { rules: [{ ...(host ? { host } : {}), http: { paths } }] },
  };
}

export function localize(m: UserManifests, target: string, overrides: Record<string, string>, network: PodNetworkMode = 'loopback'): Localized {
  const notes: string[] = [];
  const objects: K8sObject[] = [];
  for (const o of m.objects) {
    const where = `${o.kind}/${o.metadata?.name ?? '?'}`;
    if (o.kind === 'Deployment') objects.push(localizeDeployment(o, o.metadata?.name === target, overrides, network, notes));
    else if (o.kind === 'HTTPRoute') {
      objects.push(ingressFromHttpRoute(o));
      notes.push(`${where}: served by the lab's L7 proxy as an Ingress (path matches, first backendRef per rule; ingress-nginx defaults, not your gateway's)`);
    } else if (SKIPPED_KINDS.includes(o.kind ?? '')) notes.push(`${where}: not run locally (no effect on a rollout on one machine${o.kind === 'HorizontalPodAutoscaler' ? '; replicas come from spec.replicas' : ''})`);
    else objects.push(o);
  }
  const ns = objects.find((o) => o.metadata?.namespace)?.metadata?.namespace;
  if (ns && !objects.some((o) => o.kind === 'Namespace')) objects.unshift({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  return { objects, notes };
}

export function toYaml(objects: readonly K8sObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}
