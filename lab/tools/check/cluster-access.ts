import { AppsV1Api, AuthorizationV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { LabError } from '../../../common/errors.js';
import { describeCheck, EXECUTOR_CALLS, objectAccess, union, type AccessCheck, type FixedCall } from '../../targets/kind/api-access.js';
import { selectorString } from '../../targets/kind/selector.js';

// The two reads `check` needs on a cluster before it changes anything, beside the kind target's
// Executor: may I do each step in this namespace (SelfSubjectAccessReview, what `kubectl auth
// can-i` sends), and which pods does the Deployment own and how long may its rollout take.

export { describeCheck, type AccessCheck };

export interface DeploymentInfo {
  /** spec.selector as a label-selector string: matchLabels and matchExpressions */
  selector: string;
  replicas: number;
  /** the pod template's terminationGracePeriodSeconds (Kubernetes' default 30) */
  graceSeconds: number;
  /** spec.strategy.rollingUpdate resolved against replicas (Kubernetes' defaults 25 % / 25 %) */
  maxSurge: number;
  maxUnavailable: number;
}

export interface ClusterAccess {
  canI(namespace: string, c: AccessCheck): Promise<boolean>;
  deployment(namespace: string, name: string): Promise<DeploymentInfo | null>;
}

/** The Executor calls a cluster check makes (run-cluster.ts); a test holds the dry run to this list. */
export const CHECK_CALLS: readonly FixedCall[] = ['watch', 'restartDeployment', 'waitRolloutComplete', 'waitJobPod', 'waitLogLine', 'waitJobFinished', 'podLog', 'containerExit'];
/** What it creates and deletes: its k6 script ConfigMap and k6 Job. */
export const CHECK_OBJECTS: ReadonlyArray<readonly [apiVersion: string, kind: string]> = [['v1', 'ConfigMap'], ['batch/v1', 'Job']];

/**
 * Every permission the cluster mode uses, derived from the one table of API calls
 * (lab/targets/kind/api-access.ts): the Deployment read of the preflight, the calls, the objects.
 */
export const NEEDED: readonly AccessCheck[] = union([
  // the writes first: a refusal names them first
  EXECUTOR_CALLS.restartDeployment,
  ...CHECK_OBJECTS.flatMap(([v, k]) => [objectAccess('create', v, k), objectAccess('remove', v, k)]),
  [{ verb: 'get', group: 'apps', resource: 'deployments' }],
  ...CHECK_CALLS.map((c) => EXECUTOR_CALLS[c]),
]);

/** An int-or-percent of the rolling update against the replicas: surge rounds up, unavailable down (as the Deployment controller does). */
function resolve(v: number | string | undefined, replicas: number, up: boolean): number {
  if (v === undefined) v = '25%';
  if (typeof v === 'number') return v;
  const pct = Number(/^(\d+)%$/.exec(v)?.[1] ?? NaN);
  if (Number.isNaN(pct)) return Number(v) || 0;
  const x = (pct / 100) * replicas;
  return up ? Math.ceil(x) : Math.floor(x);
}

export function deploymentInfo(d: V1Deployment): DeploymentInfo {
  const replicas = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate;
  return {
    selector: selectorString(d.spec?.selector),
    replicas,
    graceSeconds: d.spec?.template?.spec?.terminationGracePeriodSeconds ?? 30,
    maxSurge: resolve(ru?.maxSurge as number | string | undefined, replicas, true),
    maxUnavailable: resolve(ru?.maxUnavailable as number | string | undefined, replicas, false),
  };
}

/** Allowance for a new pod to be scheduled, pull its image and turn Ready, per wave of the rollout. */
export const POD_START_ALLOWANCE_S = 60;
/** The shortest rollout budget any Deployment gets (rolloutBudgetS's lower bound). */
export const MIN_ROLLOUT_BUDGET_S = 60;

/**
 * The longest one rollout may take, from the Deployment: it replaces the pods in waves of
 * maxSurge + maxUnavailable, and each wave may wait for a new pod to start and an old one to use its
 * whole grace period. Bounded to 60 s … 1 h.
 */
export function rolloutBudgetS(d: DeploymentInfo): number {
  const step = Math.max(1, d.maxSurge + d.maxUnavailable);
  const waves = Math.ceil(Math.max(1, d.replicas) / step);
  return Math.min(3600, Math.max(MIN_ROLLOUT_BUDGET_S, waves * (d.graceSeconds + POD_START_ALLOWANCE_S)));
}

export class RealClusterAccess implements ClusterAccess {
  private readonly authz: AuthorizationV1Api;
  private readonly apps: AppsV1Api;
  constructor(kc: KubeConfig) {
    this.authz = kc.makeApiClient(AuthorizationV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
  }

  async canI(namespace: string, c: AccessCheck): Promise<boolean> {
    try {
      const r = await this.authz.createSelfSubjectAccessReview({
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace, verb: c.verb, group: c.group, resource: c.resource, ...(c.subresource ? { subresource: c.subresource } : {}) } } },
      });
      return r.status?.allowed === true;
    } catch (e) {
      throw new LabError('LAB_K8S_API', `SelfSubjectAccessReview (${describeCheck(c)} in ${namespace}): ${(e as Error).message}`, { cause: e });
    }
  }

  async deployment(namespace: string, name: string): Promise<DeploymentInfo | null> {
    try {
      return deploymentInfo(await this.apps.readNamespacedDeployment({ namespace, name }));
    } catch (e) {
      if ((e as { code?: number }).code === 404) return null;
      throw new LabError('LAB_K8S_API', `GET Deployment ${namespace}/${name}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** The dry run: records each read in the same list as the RecordingExecutor and answers "allowed". */
export class RecordingClusterAccess implements ClusterAccess {
  constructor(private readonly calls: string[]) {}
  async canI(namespace: string, c: AccessCheck): Promise<boolean> {
    this.calls.push(`POST authorization.k8s.io/v1/SelfSubjectAccessReview (${describeCheck(c)} in ${namespace})`);
    return true;
  }
  async deployment(namespace: string, name: string): Promise<DeploymentInfo | null> {
    this.calls.push(`GET apps/v1/Deployment ${namespace}/${name} (its selector, replicas, strategy and grace period)`);
    return { selector: '<spec.selector>', replicas: 1, graceSeconds: 30, maxSurge: 1, maxUnavailable: 0 };
  }
}
