import type { DockerfileInfo } from './dockerfile.js';
import type { FieldPath, K8sObject } from './documents.js';

/** The Prometheus Operator's scrape configurations: they say which Service and pod ports Prometheus scrapes. */
const MONITOR_KINDS = ['ServiceMonitor', 'PodMonitor'];

// The objects the rules read, indexed: workloads with their pod template, the Services that route to
// them, PodDisruptionBudgets, HPAs, ConfigMaps/Secrets, ServiceMonitors/PodMonitors (read by routing.ts).
// Everything else is listed as ignored.

/** Set on an object to take it out of every rule, with the reason as value (kube-linter's `kube-linter.io/ignore-all` idea). */
export const IGNORE_ANNOTATION = 'doctor.deploy-loss-lab/ignore-all';

const POD_TEMPLATE: Record<string, FieldPath> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  // checked like a Deployment's pods; the surge rules say that it has no rollout strategy at all
  ReplicationController: ['spec', 'template', 'spec'],
  Pod: ['spec'],
};
/** Where every kind that makes pods keeps its pod labels, for matching Service selectors (rules read no Jobs). */
const POD_LABELS: Record<string, FieldPath> = {
  ...Object.fromEntries(Object.keys(POD_TEMPLATE).map((k) => [k, ['spec', 'template', 'metadata', 'labels']])),
  Pod: ['metadata', 'labels'],
  Job: ['spec', 'template', 'metadata', 'labels'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'],
};
const CONTEXT_KINDS = new Set(['Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ConfigMap', 'Secret', ...MONITOR_KINDS]);

export interface Container {
  readonly workload: Workload;
  readonly index: number;
  readonly spec: Record<string, any>;
  readonly path: FieldPath; // to the container itself
}

export interface Workload {
  readonly src: K8sObject;
  readonly kind: string;
  readonly name: string;
  readonly object: string; // Kind/name
  readonly namespace: string | undefined;
  readonly podSpec: Record<string, any>;
  readonly podPath: FieldPath;
  readonly labels: Record<string, string>;
  readonly containers: Container[];
}

/** The pods any object of the input makes, ignored ones included: what a Service selector can match. */
export interface PodSource { readonly object: string; readonly namespace: string | undefined; readonly labels: Record<string, string> }

export interface Model {
  /** every object read, in input order (API-version rules read them all) */
  readonly objects: readonly K8sObject[];
  readonly podSources: PodSource[];
  readonly workloads: Workload[];
  readonly services: K8sObject[];
  readonly pdbs: K8sObject[];
  readonly hpas: K8sObject[];
  readonly configs: K8sObject[]; // ConfigMaps and Secrets
  readonly monitors: K8sObject[]; // ServiceMonitors and PodMonitors
  readonly ignored: { file: string; kind: string; name: string }[];
  /** --dockerfile: the image command of every container */
  readonly dockerfile: DockerfileInfo | undefined;
  /** without --dockerfile: the Dockerfile found for an image (dockerfile-discovery.ts), by the image as the manifest writes it */
  readonly imageDockerfiles: ReadonlyMap<string, DockerfileInfo>;
}

/** The Dockerfile that built this container's image, as far as the doctor knows. */
export function dockerfileFor(m: Model, c: Container): DockerfileInfo | undefined {
  return m.dockerfile ?? (typeof c.spec.image === 'string' ? m.imageDockerfiles.get(c.spec.image) : undefined);
}

export function fmtPath(path: FieldPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : /^[A-Za-z_][\w-]*$/.test(p) ? `.${p}` : `["${p}"]`)).join('');
}

const dig = (o: any, path: FieldPath): any => path.reduce((v, k) => (v == null ? undefined : v[k]), o);
export const nsOf = (o: K8sObject): string | undefined => o.obj.metadata?.namespace;

function workloadOf(src: K8sObject, podPath: FieldPath): Workload | undefined {
  const podSpec = dig(src.obj, podPath);
  if (typeof podSpec !== 'object' || podSpec === null) return undefined;
  const labelsPath = src.kind === 'Pod' ? ['metadata', 'labels'] : ['spec', 'template', 'metadata', 'labels'];
  const w: Workload = {
    src, kind: src.kind, name: src.name, object: `${src.kind}/${src.name}`, namespace: nsOf(src),
    podSpec, podPath, labels: dig(src.obj, labelsPath) ?? {}, containers: [],
  };
  const list = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  list.forEach((spec: any, index: number) => {
    if (typeof spec === 'object' && spec !== null) w.containers.push({ workload: w, index, spec, path: [...podPath, 'containers', index] });
  });
  return w;
}

export function buildModel(objects: readonly K8sObject[], dockerfile: DockerfileInfo | undefined, imageDockerfiles: ReadonlyMap<string, DockerfileInfo> = new Map()): Model {
  const m: Model = { objects, podSources: [], workloads: [], services: [], pdbs: [], hpas: [], configs: [], monitors: [], ignored: [], dockerfile, imageDockerfiles };
  for (const o of objects) {
    const labels = POD_LABELS[o.kind] && dig(o.obj, POD_LABELS[o.kind]!);
    if (labels && typeof labels === 'object') m.podSources.push({ object: `${o.kind}/${o.name}`, namespace: nsOf(o), labels });
    const optOut = o.obj.metadata?.annotations?.[IGNORE_ANNOTATION];
    const podPath = POD_TEMPLATE[o.kind];
    const w = podPath && optOut === undefined ? workloadOf(o, podPath) : undefined;
    if (w) m.workloads.push(w);
    else if (CONTEXT_KINDS.has(o.kind) && optOut === undefined) {
      if (o.kind === 'Service') m.services.push(o);
      else if (o.kind === 'PodDisruptionBudget') m.pdbs.push(o);
      else if (o.kind === 'HorizontalPodAutoscaler') m.hpas.push(o);
      else if (MONITOR_KINDS.includes(o.kind)) m.monitors.push(o);
      else m.configs.push(o);
    } else m.ignored.push({ file: o.file, kind: o.kind, name: o.name });
  }
  return m;
}

export function selects(selector: unknown, labels: Record<string, string>): boolean {
  if (typeof selector !== 'object' || selector === null) return false;
  const entries = Object.entries(selector as Record<string, unknown>);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

export const sameNs = (a: string | undefined, b: string | undefined) => a === undefined || b === undefined || a === b;

/** Services (in the input) whose selector picks this workload's pods. */
export function servicesOf(m: Model, w: Workload): K8sObject[] {
  return m.services.filter((s) => sameNs(nsOf(s), w.namespace) && selects(s.obj.spec?.selector, w.labels));
}

/** The pod sources of the input a Service selects (none: a dangling Service, or one without a selector). */
export function podsOf(m: Model, s: K8sObject): PodSource[] {
  return m.podSources.filter((p) => sameNs(nsOf(s), p.namespace) && selects(s.obj.spec?.selector, p.labels));
}

/** A metav1.LabelSelector (matchLabels and matchExpressions) against pod labels; an empty selector selects all. */
export function labelSelectorMatches(sel: any, labels: Record<string, string>): boolean {
  if (typeof sel !== 'object' || sel === null) return false;
  const ml = Object.entries((sel.matchLabels ?? {}) as Record<string, unknown>).every(([k, v]) => labels[k] === v);
  const exprs: any[] = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  return ml && exprs.every((e) => {
    const has = Object.hasOwn(labels, e?.key);
    const vals: unknown[] = Array.isArray(e?.values) ? e.values : [];
    switch (e?.operator) {
      case 'In': return has && vals.includes(labels[e.key]);
      case 'NotIn': return !has || !vals.includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}

/** PDBs whose selector picks this workload's pods. */
export function pdbsOf(m: Model, w: Workload): K8sObject[] {
  return m.pdbs.filter((p) => sameNs(nsOf(p), w.namespace) && labelSelectorMatches(p.obj.spec?.selector, w.labels));
}

export { dig };
