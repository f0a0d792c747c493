import type { DockerfileInfo } from './dockerfile.js';
import type { FieldPath, K8sObject } from './documents.js';

// The objects the rules read, indexed: workloads with their pod template, the Services that route to
// them, PodDisruptionBudgets, HPAs, ConfigMaps/Secrets. Everything else is listed as ignored.

/** Set on an object to take it out of every rule, with the reason as value (kube-linter's `kube-linter.io/ignore-all` idea). */
export const IGNORE_ANNOTATION = 'doctor.deploy-loss-lab/ignore-all';

const POD_TEMPLATE: Record<string, FieldPath> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Pod: ['spec'],
};
const CONTEXT_KINDS = new Set(['Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ConfigMap', 'Secret']);

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

export interface Model {
  readonly workloads: Workload[];
  readonly services: K8sObject[];
  readonly pdbs: K8sObject[];
  readonly hpas: K8sObject[];
  readonly configs: K8sObject[]; // ConfigMaps and Secrets
  readonly ignored: { file: string; kind: string; name: string }[];
  readonly dockerfile: DockerfileInfo | undefined;
}

export function fmtPath(path: FieldPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : /^[A-Za-z_][\w-]*$/.test(p) ? `.${p}` : `["${p}"]`)).join('');
}

const dig = (o: any, path: FieldPath): any => path.reduce((v, k) => (v == null ? undefined : v[k]), o);
const nsOf = (o: K8sObject): string | undefined => o.obj.metadata?.namespace;

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

export function buildModel(objects: readonly K8sObject[], dockerfile: DockerfileInfo | undefined): Model {
  const m: Model = { workloads: [], services: [], pdbs: [], hpas: [], configs: [], ignored: [], dockerfile };
  for (const o of objects) {
    const optOut = o.obj.metadata?.annotations?.[IGNORE_ANNOTATION];
    const podPath = POD_TEMPLATE[o.kind];
    const w = podPath && optOut === undefined ? workloadOf(o, podPath) : undefined;
    if (w) m.workloads.push(w);
    else if (CONTEXT_KINDS.has(o.kind) && optOut === undefined) {
      if (o.kind === 'Service') m.services.push(o);
      else if (o.kind === 'PodDisruptionBudget') m.pdbs.push(o);
      else if (o.kind === 'HorizontalPodAutoscaler') m.hpas.push(o);
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

const sameNs = (a: string | undefined, b: string | undefined) => a === undefined || b === undefined || a === b;

/** Services (in the input) whose selector picks this workload's pods. */
export function servicesOf(m: Model, w: Workload): K8sObject[] {
  return m.services.filter((s) => sameNs(nsOf(s), w.namespace) && selects(s.obj.spec?.selector, w.labels));
}

/** PDBs whose matchLabels pick this workload's pods. */
export function pdbsOf(m: Model, w: Workload): K8sObject[] {
  return m.pdbs.filter((p) => sameNs(nsOf(p), w.namespace) && selects(p.obj.spec?.selector?.matchLabels, w.labels));
}

/**
 * Whether traffic is routed to this container: its pods are selected by a Service of the input (or, when
 * the input has no Service at all, it declares a port). Only these need readiness and a deregistration wait.
 */
export function isServed(m: Model, c: Container): boolean {
  const declaresPort = Array.isArray(c.spec.ports) && c.spec.ports.length > 0;
  const anyPorts = c.workload.containers.some((x) => Array.isArray(x.spec.ports) && x.spec.ports.length > 0);
  if (m.services.length === 0) return declaresPort;
  return servicesOf(m, c.workload).length > 0 && (declaresPort || !anyPorts);
}

export { dig };
