import type { V1LabelSelector } from '@kubernetes/client-node';

// A Deployment's spec.selector, both halves: matchLabels AND matchExpressions (In, NotIn, Exists,
// DoesNotExist), as the API server's label-selector query string and as a predicate on labels.
// Kubernetes API reference, LabelSelector; the string syntax is the one `kubectl get -l` takes
// (k8s.io/apimachinery/pkg/labels, selector.go).

export function selectorString(sel: V1LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** Whether labels satisfy the selector; an empty selector matches nothing (a Deployment always has one). */
export function selectorMatches(sel: V1LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  const ml = Object.entries(sel?.matchLabels ?? {});
  const me = sel?.matchExpressions ?? [];
  if (ml.length === 0 && me.length === 0) return false;
  if (!ml.every(([k, v]) => l[k] === v)) return false;
  return me.every((e) => {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    if (e.operator === 'In') return has && (e.values ?? []).includes(l[e.key]!);
    if (e.operator === 'NotIn') return !has || !(e.values ?? []).includes(l[e.key]!);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    return false; // an unknown operator selects nothing, as the API server rejects it
  });
}
