import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { LabError } from '../../../common/errors.js';

// A user's manifests as plain objects: read from a file or a directory (*.yaml, *.yml, *.json),
// the Deployment under test picked, and the Service that selects its pods found.

export type K8sObject = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; spec?: any; [k: string]: unknown };

export interface UserManifests {
  /** the files read, in order */
  files: string[];
  objects: K8sObject[];
}

const MANIFEST_EXT = ['.yaml', '.yml', '.json'];

/** Files of `path`: itself, or the manifest files directly inside it (sorted: the order kubectl apply -f uses). */
export function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const files = readdirSync(path).filter((f) => MANIFEST_EXT.includes(extname(f).toLowerCase())).sort().map((f) => join(path, f));
  if (files.length === 0) throw new LabError('LAB_BAD_MANIFEST', `${path}: no *.yaml, *.yml or *.json file in it`);
  return files;
}

export function readUserManifests(path: string): UserManifests {
  const files = manifestFiles(path);
  const objects: K8sObject[] = [];
  for (const file of files) {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
      if (doc.errors.length > 0) throw new LabError('LAB_BAD_MANIFEST', `${file}: document ${i + 1} is not valid YAML: ${doc.errors[0]!.message}`);
      const o = doc.toJS() as unknown;
      if (o === null || o === undefined) continue;
      if (typeof o !== 'object' || Array.isArray(o)) throw new LabError('LAB_BAD_MANIFEST', `${file}: document ${i + 1} is not a Kubernetes object`);
      const obj = o as K8sObject;
      // a `kind: List` (kubectl get -o yaml) holds the objects in items
      if (obj.kind === 'List' && Array.isArray(obj.items)) objects.push(...(obj.items as K8sObject[]));
      else objects.push(obj);
    }
  }
  return { files, objects };
}

const nameOf = (o: K8sObject) => o.metadata?.name ?? '?';

/** The Deployment under test: the one named, or the only one. */
export function pickDeployment(m: UserManifests, wanted?: string): K8sObject {
  const deployments = m.objects.filter((o) => o.kind === 'Deployment');
  const where = m.files.join(', ');
  if (deployments.length === 0) throw new LabError('LAB_BAD_MANIFEST', `${where}: no Deployment (kinds found: ${[...new Set(m.objects.map((o) => o.kind))].join(', ') || 'none'})`);
  if (wanted !== undefined) {
    const hit = deployments.find((d) => nameOf(d) === wanted);
    if (!hit) throw new LabError('LAB_UNKNOWN_OBJECT', `Deployment/${wanted} is not in ${where}; it has ${deployments.map(nameOf).join(', ')}`);
    return hit;
  }
  if (deployments.length > 1) {
    throw new LabError('LAB_AMBIGUOUS_DEPLOYMENT', `${where} has ${deployments.length} Deployments (${deployments.map(nameOf).join(', ')}): name the one to roll with --deployment`);
  }
  return deployments[0]!;
}

/** Services whose selector picks the Deployment's pods. */
export function servicesFor(m: UserManifests, deployment: K8sObject): K8sObject[] {
  const labels: Record<string, string> = deployment.spec?.template?.metadata?.labels ?? {};
  return m.objects.filter((o) => {
    if (o.kind !== 'Service') return false;
    const sel: Record<string, string> = o.spec?.selector ?? {};
    return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
  });
}
