// Unknown-field check. The Kubernetes OpenAPI schemas (and so kubernetes-models' validators) accept
// any extra property, so a typo such as `readinesProbe` would pass them and silently do nothing;
// the API server rejects it (kubectl's default --validate=strict). This walks an object against
// the field lists of @kubernetes/client-node's generated models, which come from the same OpenAPI
// spec, to give the same answer without a cluster. Hand-written because neither package exposes
// a strict mode.
import * as k8s from '@kubernetes/client-node';

interface AttributeType { baseName: string; type: string }
type ModelClass = { getAttributeTypeMap(): AttributeType[] };

const models = k8s as unknown as Record<string, ModelClass | undefined>;

function model(type: string): ModelClass | undefined {
  const m = models[type];
  return typeof m?.getAttributeTypeMap === 'function' ? m : undefined;
}

/** Returns the paths of fields the Kubernetes API does not know, e.g. `spec.template.spec.containers[0].readinesProbe`. */
export function unknownFields(obj: { apiVersion: string; kind: string }): string[] {
  // Every kind the manifests use lives in a v1 group, where the generated class is V1<Kind>.
  const root = `V1${obj.kind}`;
  if (!model(root)) return [`${obj.kind}: no model ${root} in @kubernetes/client-node`];
  const out: string[] = [];
  const walk = (value: unknown, type: string, path: string): void => {
    if (value === null || value === undefined) return;
    const list = /^Array<(.+)>$/.exec(type);
    if (list) {
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, list[1]!, `${path}[${i}]`));
      return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
      if (typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, map[1]!, `${path}.${k}`);
      return;
    }
    const m = model(type);
    if (!m || typeof value !== 'object') return; // scalars, IntOrString, any: the schema validators check those
    const fields = new Map(m.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const t = fields.get(k);
      const p = path ? `${path}.${k}` : k;
      if (t === undefined) out.push(p);
      else walk(v, t, p);
    }
  };
  walk(obj, root, '');
  return out;
}
