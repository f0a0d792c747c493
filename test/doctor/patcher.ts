// Applies the fixes doctor suggests, as a user following its advice would: each finding's patch
// ({path, value}, null deletes) onto the object it names, over the parsed YAML of the input files.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Finding, PatchOp } from '../../lab/tools/doctor/index.js';

type Obj = Record<string, any>;

export function applyOp(obj: Obj, op: PatchOp): void {
  let node: any = obj;
  for (const [i, key] of op.path.slice(0, -1).entries()) {
    if (node[key] === undefined || node[key] === null) node[key] = typeof op.path[i + 1] === 'number' ? [] : {};
    node = node[key];
  }
  const last = op.path.at(-1)!;
  if (op.value === null) delete node[last];
  else node[last] = structuredClone(op.value);
}

/** Every object of a file, List items expanded, in order. */
export function readObjects(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS({ maxAliasCount: 10_000 })).filter((o) => o && typeof o === 'object')
    .flatMap((o: Obj) => (o.kind === 'List' && Array.isArray(o.items) ? o.items : [o]));
}

/** The objects with every patch of `findings` applied; returns how many ops were applied. */
export function applyFindings(objects: Obj[], findings: readonly Finding[]): number {
  let n = 0;
  for (const f of findings) {
    if (!f.patch) continue;
    const [kind, ...rest] = f.object.split('/');
    const name = rest.join('/');
    const target = objects.find((o) => o.kind === kind && (o.metadata?.name ?? '(unnamed)') === name);
    if (!target) throw new Error(`patch of ${f.id} names ${f.object}, which is not in the input`);
    for (const op of f.patch) {
      applyOp(target, op);
      n++;
    }
  }
  return n;
}
