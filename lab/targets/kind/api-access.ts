import type { Executor } from './executor.js';

// The one table of what the kind target's Kubernetes API calls ask of the API server, as the RBAC
// request attributes it authorizes (verb, API group, resource, subresource). The recording
// executor records these beside every call, `check`'s permission preflight is derived from them,
// and a test runs the real executor against an API server that enforces exactly a Role built from
// them (test/kind/access.test.ts): a call missing here is a 403 there.

export interface AccessCheck { verb: string; group: string; resource: string; subresource?: string }

export const describeCheck = (c: AccessCheck) => `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}${c.group ? `.${c.group}` : ''}`;

const a = (verb: string, group: string, resource: string, subresource?: string): AccessCheck => ({ verb, group, resource, ...(subresource ? { subresource } : {}) });

/** The Executor methods that call the API with a fixed set of requests (create/apply/remove depend on the object: objectAccess). */
export type FixedCall = Exclude<keyof Executor, 'dryRun' | 'command' | 'apply' | 'create' | 'remove' | 'sleep'>;

export const EXECUTOR_CALLS: Record<FixedCall, readonly AccessCheck[]> = {
  restartDeployment: [a('patch', 'apps', 'deployments')],
  // the Deployment's status, then its pods (terminating ones, and image pulls that failed)
  waitDeploymentsAvailable: [a('get', 'apps', 'deployments'), a('list', '', 'pods')],
  waitRolloutComplete: [a('get', 'apps', 'deployments'), a('list', '', 'pods')],
  waitJobPod: [a('list', '', 'pods')],
  waitServiceName: [a('list', '', 'services')],
  waitGatewayReady: [a('get', 'gateway.networking.k8s.io', 'gateways'), a('list', '', 'pods')],
  waitLogLine: [a('get', '', 'pods', 'log')],
  waitJobFinished: [a('get', 'batch', 'jobs', 'status')],
  podLog: [a('get', '', 'pods', 'log')],
  // the k6 container's exit code and reason, read from the pod's status
  containerExit: [a('get', '', 'pods')],
  watch: [a('watch', 'apps', 'deployments'), a('watch', 'apps', 'replicasets'), a('watch', '', 'pods'), a('watch', 'discovery.k8s.io', 'endpointslices'), a('watch', '', 'events')],
  // a list to find the pods (and their restarts), then one follow per container
  followLogs: [a('list', '', 'pods'), a('get', '', 'pods', 'log')],
};

/** `apps/v1` → `apps`, `v1` → '' (the core group). */
export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/** The resource (plural) of a kind, as the API server names it in URLs and RBAC rules. */
export function resourceOf(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith('s')) return `${k}es`; // ingress → ingresses, gatewayclass → gatewayclasses
  if (k.endsWith('y')) return `${k.slice(0, -1)}ies`; // networkpolicy → networkpolicies
  return `${k}s`;
}

/**
 * create, delete, or server-side apply (a PATCH; the API server also asks for create when the
 * object does not exist yet) of one object.
 */
export function objectAccess(op: 'create' | 'remove' | 'apply', apiVersion: string, kind: string): AccessCheck[] {
  const group = groupOf(apiVersion);
  const resource = resourceOf(kind);
  if (op === 'create') return [a('create', group, resource)];
  if (op === 'remove') return [a('delete', group, resource)];
  return [a('patch', group, resource), a('create', group, resource)];
}

/** The distinct checks of several lists, in first-seen order. */
export function union(lists: Iterable<readonly AccessCheck[]>): AccessCheck[] {
  const seen = new Map<string, AccessCheck>();
  for (const l of lists) for (const c of l) if (!seen.has(describeCheck(c))) seen.set(describeCheck(c), c);
  return [...seen.values()];
}

/** Whether `granted` covers `c` (same verb, group, resource and subresource; `*` as RBAC allows). */
export function covers(granted: readonly AccessCheck[], c: AccessCheck): boolean {
  const eq = (x: string | undefined, y: string | undefined) => x === '*' || (x ?? '') === (y ?? '');
  return granted.some((g) => eq(g.verb, c.verb) && eq(g.group, c.group) && (g.resource === '*' || (g.resource === c.resource && (g.subresource ?? '') === (c.subresource ?? ''))));
}
