// Shared by the k8s tests: reading rendered arms, rendering throwaway overlays, walking objects.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ROOT } from '../helpers/proc.js';
import { overlayFor } from '../../scripts/gen-arms.js';
import type { Lever } from '../../common/levers.js';

export const K8S = join(ROOT, 'k8s');
export const RENDER_SH = join(ROOT, 'scripts', 'render.sh');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: any;
}

let kubectl: boolean | undefined;
export function hasKubectl(): boolean {
  kubectl ??= spawnSync('kubectl', ['kustomize', '--help'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
  return kubectl;
}
export const NO_KUBECTL = 'kubectl not found: drift check skipped';

export function parseDocs(text: string, source: string): K8sObject[] {
  const docs = YAML.parseAllDocuments(text);
  const out: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as K8sObject | null;
    if (obj !== null) out.push(obj);
  }
  return out;
}

export function loadRendered(arm: string, dir = join(K8S, 'rendered')): K8sObject[] {
  const file = join(dir, `${arm}.yaml`);
  return parseDocs(readFileSync(file, 'utf8'), file);
}

export function kustomize(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return parseDocs(r.stdout, dir);
}

/** A temp copy of k8s/base and k8s/components (and rendered/arms if asked), so tests never write into the repo. */
export function copyK8s(withGenerated = false): { dir: string; k8s: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'lab-k8s-'));
  const k8s = join(dir, 'k8s');
  const parts = withGenerated ? ['base', 'components', 'arms', 'rendered'] : ['base', 'components'];
  for (const p of parts) cpSync(join(K8S, p), join(k8s, p), { recursive: true });
  return { dir, k8s, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Renders base + the given levers (LAB_FIXES set like a generated arm) inside a k8s copy. */
export function renderLevers(k8sCopy: string, name: string, levers: readonly Lever[]): K8sObject[] {
  const dir = join(k8sCopy, 'probe', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kustomization.yaml'), overlayFor(levers, `test probe ${name}`));
  return kustomize(dir);
}

export const objKey = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;

export function podSpecs(objects: readonly K8sObject[]): Array<{ owner: string; spec: any }> {
  return objects.filter((o) => o.spec?.template?.spec).map((o) => ({ owner: objKey(o), spec: o.spec.template.spec }));
}

export function containerEnv(objects: readonly K8sObject[], deployment: string, container: string, name: string): string | undefined {
  const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === deployment);
  const c = d?.spec.template.spec.containers.find((x: any) => x.name === container);
  return c?.env?.find((e: any) => e.name === name)?.value;
}

const isNamedList = (v: unknown[]): boolean =>
  v.length > 0 && v.every((x) => typeof x === 'object' && x !== null && typeof (x as any).name === 'string');

/**
 * Paths where two object sets differ, stopping at the shallowest point: a key present on one side
 * only is one path, a changed scalar or scalar list is one path. Lists of named items (containers,
 * env, ports) are matched by name, as kustomize's strategic merge matches them, so a reordered
 * env list is not a change.
 */
export function changedPaths(a: readonly K8sObject[], b: readonly K8sObject[]): Set<string> {
  const out = new Set<string>();
  const walk = (x: unknown, y: unknown, path: string): void => {
    if (Array.isArray(x) && Array.isArray(y) && isNamedList(x) && isNamedList(y)) {
      const names = new Set([...x, ...y].map((i: any) => i.name as string));
      for (const n of names) walk(x.find((i: any) => i.name === n), y.find((i: any) => i.name === n), `${path}[${n}]`);
    } else if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk((x as any)[k], (y as any)[k], path.endsWith(':') ? `${path}${k}` : `${path}.${k}`);
    } else if (JSON.stringify(x) !== JSON.stringify(y)) {
      out.add(path);
    }
  };
  const byKey = (objs: readonly K8sObject[]) => new Map(objs.map((o) => [objKey(o), o]));
  const ma = byKey(a);
  const mb = byKey(b);
  for (const k of new Set([...ma.keys(), ...mb.keys()])) {
    const x = ma.get(k);
    const y = mb.get(k);
    if (!x || !y) out.add(k);
    else walk(x, y, `${k}:`);
  }
  return out;
}
