import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { LabError } from '../../../common/errors.js';
import { selectorString } from './selector.js';
import { GATEWAY_API_KINDS, LABEL_PART_OF, NAMESPACE, PLACEHOLDER_IMAGE } from './constants.js';

/**
 * Every object the lab applies carries app.kubernetes.io/part-of=deploy-loss-lab, so `make
 * clean-cluster` (scripts/kind-clean.sh) deletes by that label and touches nothing else. Only
 * metadata.labels: selectors and pod templates stay as rendered.
 */
function labelled(o: KubernetesObject): KubernetesObject {
  o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, [LABEL_PART_OF]: 'deploy-loss-lab' } };
  return o;
}

export interface ArmManifest {
  file: string;
  /** Objects in apply order: the Namespace first, the rest in the rendered file's order. */
  objects: KubernetesObject[];
  deployments: string[];
  /** Deployment name → its pod label selector string (spec.selector: matchLabels and matchExpressions). */
  selectors: Record<string, string>;
  /** Host of the Ingress's first rule, if it has one (k6 sends it as the Host header). */
  ingressHost: string | null;
}

function podSpecs(obj: any): any[] {
  const spec = obj?.spec?.template?.spec;
  return spec ? [spec] : [];
}

/**
 * Reads k8s/rendered/<arm>.yaml and swaps the placeholder image for the content-derived tag.
 * A manifest that has no container with the placeholder would run some other image: refused.
 */
export function loadArmManifest(renderedDir: string, arm: string, image: string): ArmManifest {
  const file = join(renderedDir, `${arm}.yaml`);
  if (!existsSync(file)) {
    throw new LabError('LAB_MISSING_MANIFEST', `${file} does not exist; run \`make render\` (scripts/render.sh) first`);
  }
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const objects: KubernetesObject[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new LabError('LAB_MISSING_MANIFEST', `${file}: ${d.errors[0]!.message}`);
    const o = d.toJS() as KubernetesObject | null;
    if (!o) continue;
    if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new LabError('LAB_MISSING_MANIFEST', `${file}: a document lacks apiVersion, kind or metadata.name`);
    objects.push(labelled(o));
  }
  let replaced = 0;
  for (const o of objects) {
    for (const spec of podSpecs(o)) {
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        if (c.image === PLACEHOLDER_IMAGE) {
          c.image = image;
          replaced++;
        }
      }
    }
    if (o.kind !== 'Namespace' && o.metadata!.namespace && o.metadata!.namespace !== NAMESPACE) {
      throw new LabError('LAB_MISSING_MANIFEST', `${file}: ${o.kind}/${o.metadata!.name} is in namespace ${o.metadata!.namespace}, expected ${NAMESPACE}`);
    }
  }
  if (replaced === 0) throw new LabError('LAB_MISSING_MANIFEST', `${file}: no container uses ${PLACEHOLDER_IMAGE}, so the lab image would not run`);
  objects.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  const ingress: any = objects.find((o) => o.kind === 'Ingress');
  return {
    file,
    objects,
    deployments: objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata!.name!),
    selectors: Object.fromEntries(
      objects
        .filter((o) => o.kind === 'Deployment')
        .map((o: any) => [o.metadata.name, selectorString(o.spec?.selector)]),
    ),
    ingressHost: ingress?.spec?.rules?.[0]?.host ?? null,
  };
}

/**
 * The Gateway API routing objects of k8s/rendered-l7/<l7>.yaml (GatewayClass, Gateway, HTTPRoute),
 * to apply instead of the arm's Ingress. The file must hold no Ingress: the component removes it.
 */
export function loadL7Objects(renderedL7Dir: string, l7: string): KubernetesObject[] {
  const file = join(renderedL7Dir, `${l7}.yaml`);
  if (!existsSync(file)) throw new LabError('LAB_MISSING_MANIFEST', `${file} does not exist; run \`make render\` (scripts/render.sh) first`);
  const all = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new LabError('LAB_MISSING_MANIFEST', `${file}: ${d.errors[0]!.message}`);
    return d.toJS() as KubernetesObject | null;
  }).filter((o): o is KubernetesObject => o !== null);
  if (all.some((o) => o.kind === 'Ingress')) throw new LabError('LAB_MISSING_MANIFEST', `${file} still holds an Ingress: the ${l7} path must replace it`);
  const picked = all.filter((o) => GATEWAY_API_KINDS.includes(o.kind ?? ''));
  for (const kind of GATEWAY_API_KINDS) {
    if (!picked.some((o) => o.kind === kind)) throw new LabError('LAB_MISSING_MANIFEST', `${file} has no ${kind}`);
  }
  return picked.map(labelled);
}
