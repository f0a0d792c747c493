import { readFileSync } from 'node:fs';
import { isMap, isSeq, parseAllDocuments, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { LabError } from '../../../common/errors.js';

// The arms of this experiment are the rendered `after` arm (every lever on, surge included) with
// env overrides applied to the parsed YAML, the way a kustomize patch would: nothing is copied by
// hand, so a change to k8s/ reaches this experiment as it reaches every other one.

export const BASE_MANIFEST = 'k8s/rendered/after.yaml';
export const SERVICE = 'service';
export const CONFIG_MAP = 'service-config';
export const HTTPS_PORT = 3443;

export interface ManifestPatch {
  /** CLOSE_JITTER_MS of the service: 0 = every idle keep-alive socket closed at the same instant */
  closeJitterMs: number;
  /** PEM pair: serve HTTPS on HTTPS_PORT too, published as Service port 443 named https */
  tls?: { cert: string; key: string };
}

export interface ShutdownTiming { drainDelayMs: number; shutdownDeadlineMs: number; replicas: number }

type Doc = Document.Parsed;
const kindOf = (d: Doc) => String(d.get('kind'));
const nameOf = (d: Doc) => String(d.getIn(['metadata', 'name']));

function find(docs: Doc[], kind: string, name: string, source: string): Doc {
  const d = docs.find((x) => kindOf(x) === kind && nameOf(x) === name);
  if (!d) throw new LabError('LAB_MISSING_MANIFEST', `${source} has no ${kind}/${name}`);
  return d;
}

function serviceContainer(dep: Doc, source: string): YAMLMap {
  const cs = dep.getIn(['spec', 'template', 'spec', 'containers']);
  const c = isSeq(cs) ? (cs as YAMLSeq).items.find((x) => isMap(x) && x.get('name') === SERVICE) : undefined;
  if (!isMap(c)) throw new LabError('LAB_MISSING_MANIFEST', `${source}: Deployment/${SERVICE} has no container "${SERVICE}"`);
  return c as YAMLMap;
}

/** Env entries are looked up by name (strategic-merge patches reorder them across arms). */
function setEnv(doc: Doc, container: YAMLMap, name: string, value: string): void {
  const env = container.get('env') as YAMLSeq;
  const hit = env.items.find((e) => isMap(e) && e.get('name') === name) as YAMLMap | undefined;
  if (hit) hit.set('value', value);
  else env.items.push(doc.createNode({ name, value }));
}

function envOf(container: YAMLMap, name: string, source: string): number {
  const env = container.get('env') as YAMLSeq;
  const hit = env.items.find((e) => isMap(e) && e.get('name') === name) as YAMLMap | undefined;
  const v = Number(hit?.get('value'));
  if (!hit || !Number.isFinite(v)) throw new LabError('LAB_MISSING_MANIFEST', `${source}: Deployment/${SERVICE} has no numeric ${name}`);
  return v;
}

function parse(text: string, source: string): Doc[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new LabError('LAB_MISSING_MANIFEST', `${source} is not a YAML stream`);
  const bad = docs.find((d) => d.errors.length > 0);
  if (bad) throw new LabError('LAB_MISSING_MANIFEST', `${source}: ${bad.errors[0]!.message}`);
  return docs.filter((d) => d.contents !== null);
}

/** The draining pod's budget, read from the base manifest (the jitter window has to fit in it). */
export function shutdownTiming(text: string, source = BASE_MANIFEST): ShutdownTiming {
  const docs = parse(text, source);
  const dep = find(docs, 'Deployment', SERVICE, source);
  const c = serviceContainer(dep, source);
  return { drainDelayMs: envOf(c, 'DRAIN_DELAY_MS', source), shutdownDeadlineMs: envOf(c, 'SHUTDOWN_DEADLINE_MS', source), replicas: Number(dep.getIn(['spec', 'replicas']) ?? 1) };
}

/**
 * The base manifest with the arm's overrides. The worker Deployment is left out: no job is sent, and
 * on a shared 2-core machine its two processes would only take CPU from the pods being measured.
 */
export function patchManifest(text: string, patch: ManifestPatch, source = BASE_MANIFEST): string {
  const docs = parse(text, source).filter((d) => !(kindOf(d) === 'Deployment' && nameOf(d) === 'worker'));
  const dep = find(docs, 'Deployment', SERVICE, source);
  const c = serviceContainer(dep, source);
  setEnv(dep, c, 'CLOSE_JITTER_MS', String(patch.closeJitterMs));
  if (patch.tls) {
    setEnv(dep, c, 'HTTPS_PORT', String(HTTPS_PORT));
    (c.get('ports') as YAMLSeq).items.push(dep.createNode({ containerPort: HTTPS_PORT, name: 'https' }));
    const svc = find(docs, 'Service', SERVICE, source);
    (svc.getIn(['spec', 'ports']) as YAMLSeq).items.push(svc.createNode({ name: 'https', port: 443, targetPort: 'https' }));
    // A Secret would hold the pair in a cluster; the service reads tls paths relative to its config
    // file, so the pair rides in the same ConfigMap volume here.
    const cm = find(docs, 'ConfigMap', CONFIG_MAP, source);
    const config = String(cm.getIn(['data', 'config.yaml']));
    cm.setIn(['data', 'config.yaml'], `${config.trimEnd()}\ntls:\n  certFile: tls.crt\n  keyFile: tls.key\n`);
    cm.setIn(['data', 'tls.crt'], patch.tls.cert);
    cm.setIn(['data', 'tls.key'], patch.tls.key);
  }
  const header = `# GENERATED by lab/experiments/reconnect from ${source}: CLOSE_JITTER_MS=${patch.closeJitterMs}${patch.tls ? `, HTTPS_PORT=${HTTPS_PORT}` : ''}, no worker\n`;
  return header + docs.map((d) => d.toString()).join('---\n');
}

export function readBase(file: string): string {
  try { return readFileSync(file, 'utf8'); } catch (err) { throw new LabError('LAB_MISSING_MANIFEST', `${file}: ${(err as Error).message} (run make render)`); }
}
