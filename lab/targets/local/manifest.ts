import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { LabError } from '../../../common/errors.js';
import { INGRESS_ANNOTATIONS, KIND_FIELDS, unsupportedFields } from './manifest-fields.js';
import { resolveFenceposts, type IntOrPercent } from './rollout-math.js';

// The typed model of a rendered arm: only what the local target runs. Built from the YAML after
// manifest-fields.ts has vetted every field path, so nothing below can meet an unknown field.

export type PortRef = number | string;

export interface HttpGetAction { path: string; port: PortRef; host?: string; scheme: 'HTTP'; headers: Array<[string, string]> }
export interface ProbeSpec {
  action: { httpGet: HttpGetAction } | { tcpSocket: { port: PortRef; host?: string } } | { exec: string[] };
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
}
export type PreStopSpec = { sleepSeconds: number } | { exec: string[] } | { httpGet: HttpGetAction };
export type EnvSource =
  | { value: string }
  | { fieldRef: string }
  | { configMapKeyRef: { name: string; key: string; optional: boolean } }
  | { secretKeyRef: { name: string; key: string; optional: boolean } };
export interface EnvVarSpec { name: string; source: EnvSource }
export interface ContainerPortSpec { name?: string; containerPort: number }
export interface VolumeMountSpec { name: string; mountPath: string; subPath?: string; readOnly: boolean }
/** The securityContext fields that decide who a pod's processes run as (pod level; a container's own override them). */
export interface RunAsSpec { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean }
export interface PodSecuritySpec extends RunAsSpec { fsGroup?: number; supplementalGroups: number[] }
export interface ContainerSpec {
  name: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env: EnvVarSpec[];
  ports: ContainerPortSpec[];
  readinessProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
  preStop?: PreStopSpec;
  volumeMounts: VolumeMountSpec[];
  securityContext: RunAsSpec;
}
export type VolumeSource =
  | { configMap: { name: string; items?: Array<{ key: string; path: string }>; optional: boolean } }
  | { secret: { name: string; items?: Array<{ key: string; path: string }>; optional: boolean } }
  | { emptyDir: true };
export interface VolumeSpec { name: string; source: VolumeSource }
export interface PodTemplateSpec {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  container: ContainerSpec;
  terminationGracePeriodSeconds: number;
  volumes: VolumeSpec[];
  securityContext: PodSecuritySpec;
}
export interface DeploymentSpec {
  name: string;
  replicas: number;
  selector: Record<string, string>;
  minReadySeconds: number;
  progressDeadlineSeconds: number;
  paused: boolean;
  strategy: { type: 'RollingUpdate'; maxSurge: IntOrPercent; maxUnavailable: IntOrPercent } | { type: 'Recreate' };
  template: PodTemplateSpec;
}
export interface ServicePortSpec { name?: string; port: number; targetPort: PortRef }
export interface ServiceSpec { name: string; selector: Record<string, string>; ports: ServicePortSpec[] }
export interface IngressBackend { service: string; port: PortRef }
export interface IngressPath { path: string; pathType: 'Prefix' | 'Exact' | 'ImplementationSpecific'; backend: IngressBackend }
export interface IngressSpec {
  name: string;
  rules: Array<{ host?: string; paths: IngressPath[] }>;
  defaultBackend?: IngressBackend;
  /** ingress-nginx annotation overrides, by INGRESS_ANNOTATIONS name */
  options: Partial<Record<(typeof INGRESS_ANNOTATIONS)[keyof typeof INGRESS_ANNOTATIONS], string>>;
}
export interface Manifest {
  source: string;
  namespace: string;
  deployments: DeploymentSpec[];
  services: ServiceSpec[];
  ingresses: IngressSpec[];
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
}

/** The image's working directory; locally the repository root holds the same files (dist/, node_modules/). */
export const APP_DIR = '/app';

/** fieldRef paths the local target can answer; anything else has no local value. */
export const FIELD_REFS = ['metadata.name', 'metadata.namespace', 'status.podIP', 'status.hostIP', 'spec.nodeName'] as const;

type Obj = Record<string, unknown>;

class Reader {
  constructor(readonly where: string) {}
  fail(path: string, why: string): never {
    throw new LabError('LAB_BAD_MANIFEST', `${this.where}: ${path}: ${why}`);
  }
  unsupported(path: string, why: string): never {
    throw new LabError('LAB_UNSUPPORTED_MANIFEST', `${this.where}: ${path}: ${why}`);
  }
  str(v: unknown, path: string): string {
    if (typeof v !== 'string' || v === '') this.fail(path, `expected a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }
  optStr(v: unknown, path: string): string | undefined {
    return v === undefined || v === null ? undefined : this.str(v, path);
  }
  int(v: unknown, path: string, def: number, min = 0): number {
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(path, `expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  }
  strList(v: unknown, path: string): string[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(path, 'expected a list of strings');
    return v as string[];
  }
  map(v: unknown, path: string): Record<string, string> {
    if (v === undefined || v === null) return {};
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Obj)) {
      if (typeof x !== 'string') this.fail(`${path}.${k}`, `expected a string value, got ${JSON.stringify(x)}`);
      out[k] = x;
    }
    return out;
  }
  portRef(v: unknown, path: string): PortRef {
    if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536) return v;
    if (typeof v === 'string' && v !== '') return /^\d+$/.test(v) ? Number(v) : v;
    return this.fail(path, `expected a port number or name, got ${JSON.stringify(v)}`);
  }
  list(v: unknown): Obj[] {
    return Array.isArray(v) ? (v as Obj[]) : [];
  }
}

function httpGetAction(r: Reader, v: Obj, path: string): HttpGetAction {
  const scheme = (v.scheme as string | undefined) ?? 'HTTP';
  if (scheme !== 'HTTP') r.unsupported(`${path}.scheme`, `"${scheme}" (only HTTP probes and hooks run locally)`);
  return {
    path: (v.path as string | undefined) ?? '/',
    port: r.portRef(v.port, `${path}.port`),
    host: r.optStr(v.host, `${path}.host`),
    scheme: 'HTTP',
    headers: r.list(v.httpHeaders).map((h, i) => [r.str(h.name, `${path}.httpHeaders[${i}].name`), String(h.value ?? '')]),
  };
}

function probe(r: Reader, v: unknown, path: string): ProbeSpec | undefined {
  if (!v) return undefined;
  const p = v as Obj;
  const actions = (['httpGet', 'tcpSocket', 'exec'] as const).filter((k) => p[k] !== undefined);
  if (actions.length !== 1) r.fail(path, `expected exactly one of httpGet, tcpSocket, exec (got ${actions.join(', ') || 'none'})`);
  let action: ProbeSpec['action'];
  if (p.httpGet) action = { httpGet: httpGetAction(r, p.httpGet as Obj, `${path}.httpGet`) };
  else if (p.tcpSocket) {
    const t = p.tcpSocket as Obj;
    action = { tcpSocket: { port: r.portRef(t.port, `${path}.tcpSocket.port`), host: r.optStr(t.host, `${path}.tcpSocket.host`) } };
  } else action = { exec: r.strList((p.exec as Obj).command, `${path}.exec.command`) ?? r.fail(`${path}.exec.command`, 'missing') };
  if (p.terminationGracePeriodSeconds !== undefined) r.unsupported(`${path}.terminationGracePeriodSeconds`, 'per-probe grace periods are not implemented');
  // Kubernetes' defaults (core/v1 Probe).
  return {
    action,
    initialDelaySeconds: r.int(p.initialDelaySeconds, `${path}.initialDelaySeconds`, 0),
    periodSeconds: r.int(p.periodSeconds, `${path}.periodSeconds`, 10, 1),
    timeoutSeconds: r.int(p.timeoutSeconds, `${path}.timeoutSeconds`, 1, 1),
    failureThreshold: r.int(p.failureThreshold, `${path}.failureThreshold`, 3, 1),
    successThreshold: r.int(p.successThreshold, `${path}.successThreshold`, 1, 1),
  };
}

function preStop(r: Reader, v: unknown, path: string): PreStopSpec | undefined {
  if (!v) return undefined;
  const h = v as Obj;
  const actions = (['sleep', 'exec', 'httpGet'] as const).filter((k) => h[k] !== undefined);
  if (actions.length !== 1) r.fail(path, `expected exactly one of sleep, exec, httpGet (got ${actions.join(', ') || 'none'})`);
  if (h.sleep) {
    const seconds = (h.sleep as Obj).seconds;
    if (seconds === undefined) r.fail(`${path}.sleep.seconds`, 'missing');
    return { sleepSeconds: r.int(seconds, `${path}.sleep.seconds`, 0, 0) };
  }
  if (h.exec) return { exec: r.strList((h.exec as Obj).command, `${path}.exec.command`) ?? r.fail(`${path}.exec.command`, 'missing') };
  return { httpGet: httpGetAction(r, h.httpGet as Obj, `${path}.httpGet`) };
}

function envVar(r: Reader, e: Obj, path: string): EnvVarSpec {
  const name = r.str(e.name, `${path}.name`);
  const vf = e.valueFrom as Obj | undefined;
  if (!vf) return { name, source: { value: e.value === undefined ? '' : String(e.value) } };
  if (vf.fieldRef) {
    const fieldPath = r.str((vf.fieldRef as Obj).fieldPath, `${path}.valueFrom.fieldRef.fieldPath`);
    if (!(FIELD_REFS as readonly string[]).includes(fieldPath)) {
      r.unsupported(`${path}.valueFrom.fieldRef.fieldPath`, `"${fieldPath}" (the local target answers ${FIELD_REFS.join(', ')})`);
    }
    return { name, source: { fieldRef: fieldPath } };
  }
  for (const kind of ['configMapKeyRef', 'secretKeyRef'] as const) {
    const ref = vf[kind] as Obj | undefined;
    if (ref) {
      const sel = { name: r.str(ref.name, `${path}.valueFrom.${kind}.name`), key: r.str(ref.key, `${path}.valueFrom.${kind}.key`), optional: ref.optional === true };
      return kind === 'configMapKeyRef' ? { name, source: { configMapKeyRef: sel } } : { name, source: { secretKeyRef: sel } };
    }
  }
  return r.fail(`${path}.valueFrom`, 'expected fieldRef, configMapKeyRef or secretKeyRef');
}

function container(r: Reader, c: Obj, path: string): ContainerSpec {
  const mounts = r.list(c.volumeMounts).map((m, i) => ({
    name: r.str(m.name, `${path}.volumeMounts[${i}].name`),
    mountPath: r.str(m.mountPath, `${path}.volumeMounts[${i}].mountPath`),
    subPath: r.optStr(m.subPath, `${path}.volumeMounts[${i}].subPath`),
    readOnly: m.readOnly === true,
  }));
  // No image locally: the command is the only way to know what to run, and /app is the repo.
  if (c.command === undefined) r.unsupported(`${path}.command`, 'missing (there is no image entrypoint locally; state the command)');
  if (c.workingDir !== undefined && c.workingDir !== APP_DIR) r.unsupported(`${path}.workingDir`, `"${String(c.workingDir)}" (only ${APP_DIR}, which maps to the repo root)`);
  return {
    name: r.str(c.name, `${path}.name`),
    command: r.strList(c.command, `${path}.command`),
    args: r.strList(c.args, `${path}.args`),
    workingDir: r.optStr(c.workingDir, `${path}.workingDir`),
    env: r.list(c.env).map((e, i) => envVar(r, e, `${path}.env[${i}]`)),
    ports: r.list(c.ports).map((p, i) => {
      if (p.protocol !== undefined && p.protocol !== 'TCP') r.unsupported(`${path}.ports[${i}].protocol`, `"${String(p.protocol)}" (TCP only)`);
      const port = r.portRef(p.containerPort, `${path}.ports[${i}].containerPort`);
      if (typeof port !== 'number') r.fail(`${path}.ports[${i}].containerPort`, 'must be a number');
      return { name: r.optStr(p.name, `${path}.ports[${i}].name`), containerPort: port };
    }),
    readinessProbe: probe(r, c.readinessProbe, `${path}.readinessProbe`),
    livenessProbe: probe(r, c.livenessProbe, `${path}.livenessProbe`),
    startupProbe: probe(r, c.startupProbe, `${path}.startupProbe`),
    preStop: preStop(r, (c.lifecycle as Obj | undefined)?.preStop, `${path}.lifecycle.preStop`),
    volumeMounts: mounts,
    securityContext: runAs(r, c.securityContext, `${path}.securityContext`),
  };
}

function runAs(r: Reader, v: unknown, path: string): RunAsSpec {
  const sc = (v ?? {}) as Obj;
  const out: RunAsSpec = {};
  if (sc.runAsUser !== undefined) out.runAsUser = r.int(sc.runAsUser, `${path}.runAsUser`, 0);
  if (sc.runAsGroup !== undefined) out.runAsGroup = r.int(sc.runAsGroup, `${path}.runAsGroup`, 0);
  if (sc.runAsNonRoot !== undefined) {
    if (typeof sc.runAsNonRoot !== 'boolean') r.fail(`${path}.runAsNonRoot`, `expected true or false, got ${JSON.stringify(sc.runAsNonRoot)}`);
    out.runAsNonRoot = sc.runAsNonRoot;
  }
  return out;
}

function podSecurity(r: Reader, v: unknown, path: string): PodSecuritySpec {
  const sc = (v ?? {}) as Obj;
  const groups = sc.supplementalGroups === undefined ? [] : sc.supplementalGroups;
  if (!Array.isArray(groups)) r.fail(`${path}.supplementalGroups`, 'expected a list of group ids');
  return {
    ...runAs(r, sc, path),
    ...(sc.fsGroup !== undefined ? { fsGroup: r.int(sc.fsGroup, `${path}.fsGroup`, 0) } : {}),
    supplementalGroups: (groups as unknown[]).map((g, i) => r.int(g, `${path}.supplementalGroups[${i}]`, 0)),
  };
}

function volume(r: Reader, v: Obj, path: string): VolumeSpec {
  const name = r.str(v.name, `${path}.name`);
  const items = (x: unknown, p: string) => (x === undefined ? undefined
    : r.list(x).map((it, i) => ({ key: r.str(it.key, `${p}[${i}].key`), path: r.str(it.path, `${p}[${i}].path`) })));
  if (v.configMap) {
    const c = v.configMap as Obj;
    return { name, source: { configMap: { name: r.str(c.name, `${path}.configMap.name`), items: items(c.items, `${path}.configMap.items`), optional: c.optional === true } } };
  }
  if (v.secret) {
    const s = v.secret as Obj;
    return { name, source: { secret: { name: r.str(s.secretName, `${path}.secret.secretName`), items: items(s.items, `${path}.secret.items`), optional: s.optional === true } } };
  }
  if (v.emptyDir !== undefined) return { name, source: { emptyDir: true } };
  return r.unsupported(path, 'volume type (configMap, secret and emptyDir run locally)');
}

function deployment(r: Reader, o: Obj): DeploymentSpec {
  const spec = (o.spec ?? {}) as Obj;
  const tpl = (spec.template ?? {}) as Obj;
  const tplMeta = (tpl.metadata ?? {}) as Obj;
  const pod = (tpl.spec ?? {}) as Obj;
  const containers = r.list(pod.containers);
  if (containers.length !== 1) r.unsupported('spec.template.spec.containers', `${containers.length} containers (the local target runs exactly one per pod)`);
  if (pod.restartPolicy !== undefined && pod.restartPolicy !== 'Always') r.fail('spec.template.spec.restartPolicy', 'a Deployment only allows Always');
  const labels = r.map(tplMeta.labels, 'spec.template.metadata.labels');
  const selector = r.map((spec.selector as Obj | undefined)?.matchLabels, 'spec.selector.matchLabels');
  if (Object.keys(selector).length === 0) r.fail('spec.selector.matchLabels', 'missing');
  for (const [k, v] of Object.entries(selector)) {
    if (labels[k] !== v) r.fail('spec.selector.matchLabels', `selector ${k}=${v} does not match the template labels`);
  }
  const replicas = r.int(spec.replicas, 'spec.replicas', 1);
  const strategy = (spec.strategy ?? {}) as Obj;
  const type = (strategy.type as string | undefined) ?? 'RollingUpdate';
  let strat: DeploymentSpec['strategy'];
  if (type === 'Recreate') strat = { type: 'Recreate' };
  else if (type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ?? {}) as Obj;
    const maxSurge = (ru.maxSurge as IntOrPercent | undefined) ?? '25%';
    const maxUnavailable = (ru.maxUnavailable as IntOrPercent | undefined) ?? '25%';
    resolveFenceposts(replicas, maxSurge, maxUnavailable, `${r.where}: spec.strategy.rollingUpdate`); // validates now, not mid-rollout
    strat = { type: 'RollingUpdate', maxSurge, maxUnavailable };
  } else r.fail('spec.strategy.type', `"${type}" (RollingUpdate or Recreate)`);
  return {
    name: r.str((o.metadata as Obj).name, 'metadata.name'),
    replicas,
    selector,
    minReadySeconds: r.int(spec.minReadySeconds, 'spec.minReadySeconds', 0),
    progressDeadlineSeconds: r.int(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', 600, 1),
    paused: spec.paused === true,
    strategy: strat,
    template: {
      labels,
      annotations: r.map(tplMeta.annotations, 'spec.template.metadata.annotations'),
      container: container(r, containers[0]!, 'spec.template.spec.containers[0]'),
      terminationGracePeriodSeconds: r.int(pod.terminationGracePeriodSeconds, 'spec.template.spec.terminationGracePeriodSeconds', 30),
      volumes: r.list(pod.volumes).map((v, i) => volume(r, v, `spec.template.spec.volumes[${i}]`)),
      securityContext: podSecurity(r, pod.securityContext, 'spec.template.spec.securityContext'),
    },
  };
}

function service(r: Reader, o: Obj): ServiceSpec {
  const spec = (o.spec ?? {}) as Obj;
  const type = (spec.type as string | undefined) ?? 'ClusterIP';
  if (type !== 'ClusterIP') r.unsupported('spec.type', `"${type}" (ClusterIP only; the ingress is the way in)`);
  if (spec.sessionAffinity !== undefined && spec.sessionAffinity !== 'None') r.unsupported('spec.sessionAffinity', `"${String(spec.sessionAffinity)}"`);
  const selector = r.map(spec.selector, 'spec.selector');
  if (Object.keys(selector).length === 0) r.unsupported('spec.selector', 'a Service without selector (manual Endpoints) is not implemented');
  return {
    name: r.str((o.metadata as Obj).name, 'metadata.name'),
    selector,
    ports: r.list(spec.ports).map((p, i) => {
      if (p.protocol !== undefined && p.protocol !== 'TCP') r.unsupported(`spec.ports[${i}].protocol`, `"${String(p.protocol)}" (TCP only)`);
      const port = r.portRef(p.port, `spec.ports[${i}].port`);
      if (typeof port !== 'number') r.fail(`spec.ports[${i}].port`, 'must be a number');
      return { name: r.optStr(p.name, `spec.ports[${i}].name`), port, targetPort: p.targetPort === undefined ? port : r.portRef(p.targetPort, `spec.ports[${i}].targetPort`) };
    }),
  };
}

function ingressBackend(r: Reader, b: unknown, path: string): IngressBackend {
  const svc = (b as Obj | undefined)?.service as Obj | undefined;
  if (!svc) return r.fail(path, 'expected service.name and service.port');
  const port = (svc.port ?? {}) as Obj;
  return { service: r.str(svc.name, `${path}.service.name`), port: r.portRef(port.number ?? port.name, `${path}.service.port`) };
}

function ingress(r: Reader, o: Obj): IngressSpec {
  const spec = (o.spec ?? {}) as Obj;
  const options: IngressSpec['options'] = {};
  for (const [k, v] of Object.entries(r.map((o.metadata as Obj).annotations, 'metadata.annotations'))) {
    if (!k.startsWith('nginx.ingress.kubernetes.io/')) continue;
    const opt = (INGRESS_ANNOTATIONS as Record<string, keyof IngressSpec['options']>)[k];
    if (!opt) r.unsupported(`metadata.annotations["${k}"]`, `the local ingress implements ${Object.keys(INGRESS_ANNOTATIONS).join(', ')}`);
    options[opt] = v;
  }
  return {
    name: r.str((o.metadata as Obj).name, 'metadata.name'),
    options,
    defaultBackend: spec.defaultBackend ? ingressBackend(r, spec.defaultBackend, 'spec.defaultBackend') : undefined,
    rules: r.list(spec.rules).map((rule, i) => ({
      host: r.optStr(rule.host, `spec.rules[${i}].host`),
      paths: r.list((rule.http as Obj | undefined)?.paths).map((p, j) => {
        const where = `spec.rules[${i}].http.paths[${j}]`;
        const pathType = (p.pathType as string | undefined) ?? 'ImplementationSpecific';
        if (!['Prefix', 'Exact', 'ImplementationSpecific'].includes(pathType)) r.fail(`${where}.pathType`, `"${pathType}"`);
        return { path: (p.path as string | undefined) ?? '/', pathType: pathType as IngressPath['pathType'], backend: ingressBackend(r, p.backend, `${where}.backend`) };
      }),
    })),
  };
}

/** Parses a rendered multi-document manifest. Any field the local target does not implement is an error naming it. */
export function parseManifest(text: string, source = '<manifest>'): Manifest {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const m: Manifest = { source, namespace: 'default', deployments: [], services: [], ingresses: [], configMaps: new Map(), secrets: new Map() };
  list.forEach((doc, i) => {
    if (doc.errors.length > 0) throw new LabError('LAB_BAD_MANIFEST', `${source}: document ${i + 1} is not valid YAML: ${doc.errors[0]!.message}`);
    const o = doc.toJS() as Obj | null;
    if (o === null || o === undefined) return;
    if (typeof o !== 'object' || Array.isArray(o)) throw new LabError('LAB_BAD_MANIFEST', `${source}: document ${i + 1} is not a Kubernetes object`);
    const kind = o.kind;
    const name = (o.metadata as Obj | undefined)?.name;
    if (typeof kind !== 'string' || typeof name !== 'string') throw new LabError('LAB_BAD_MANIFEST', `${source}: document ${i + 1} lacks kind or metadata.name`);
    const where = `${source}: ${kind}/${name}`;
    const fields = KIND_FIELDS[kind];
    if (!fields) throw new LabError('LAB_UNSUPPORTED_MANIFEST', `${where}: kind ${kind} (the local target runs ${Object.keys(KIND_FIELDS).join(', ')})`);
    const unknown = unsupportedFields(o, fields, '');
    if (unknown.length > 0) throw new LabError('LAB_UNSUPPORTED_MANIFEST', `${where}: ${unknown.join(', ')}`);
    const r = new Reader(where);
    switch (kind) {
      case 'Namespace': m.namespace = name; break;
      case 'Deployment': m.deployments.push(deployment(r, o)); break;
      case 'Service': m.services.push(service(r, o)); break;
      case 'Ingress': m.ingresses.push(ingress(r, o)); break;
      case 'ConfigMap': m.configMaps.set(name, r.map(o.data, 'data')); break;
      case 'Secret': {
        const data = Object.fromEntries(Object.entries(r.map(o.data, 'data')).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
        m.secrets.set(name, { ...data, ...r.map(o.stringData, 'stringData') });
        break;
      }
      default: break; // PodDisruptionBudget: vetted, no local effect
    }
  });
  const seen = new Set<string>();
  for (const d of m.deployments) {
    if (seen.has(d.name)) throw new LabError('LAB_BAD_MANIFEST', `${source}: Deployment/${d.name} appears twice`);
    seen.add(d.name);
  }
  if (m.deployments.length === 0) throw new LabError('LAB_BAD_MANIFEST', `${source}: no Deployment to run`);
  return m;
}

export function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new LabError('LAB_MISSING_MANIFEST', `${file}: ${(err as Error).message} (run \`make render\`?)`, { cause: err });
  }
  return parseManifest(text, file);
}
