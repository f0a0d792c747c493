import { AppsV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { LabError } from '../../../common/errors.js';

// The two reads `check` needs on a cluster before it changes anything, beside the kind target's
// Executor: may I do each step in this namespace (SelfSubjectAccessReview, what `kubectl auth
// can-i` sends), and which pods does the Deployment own (its selector, for the rollout wait).

export interface AccessCheck { verb: string; group: string; resource: string; subresource?: string }
export interface DeploymentInfo { selector: string; replicas: number }

export interface ClusterAccess {
  canI(namespace: string, c: AccessCheck): Promise<boolean>;
  deployment(namespace: string, name: string): Promise<DeploymentInfo | null>;
}

/** Every permission the cluster mode uses: the restarts, its own k6 Job and ConfigMap, and the watches. */
export const NEEDED: readonly AccessCheck[] = [
  { verb: 'patch', group: 'apps', resource: 'deployments' },
  { verb: 'get', group: 'apps', resource: 'deployments' },
  { verb: 'create', group: 'batch', resource: 'jobs' },
  { verb: 'delete', group: 'batch', resource: 'jobs' },
  { verb: 'create', group: '', resource: 'configmaps' },
  { verb: 'delete', group: '', resource: 'configmaps' },
  { verb: 'watch', group: '', resource: 'pods' },
  { verb: 'get', group: '', resource: 'pods', subresource: 'log' },
  { verb: 'watch', group: 'discovery.k8s.io', resource: 'endpointslices' },
  { verb: 'watch', group: '', resource: 'events' },
];

export const describeCheck = (c: AccessCheck) => `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}${c.group ? `.${c.group}` : ''}`;

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
      const d = await this.apps.readNamespacedDeployment({ namespace, name });
      const labels = d.spec?.selector?.matchLabels ?? {};
      return { selector: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','), replicas: d.spec?.replicas ?? 1 };
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
    this.calls.push(`GET apps/v1/Deployment ${namespace}/${name} (its selector)`);
    return { selector: '<spec.selector.matchLabels>', replicas: 0 };
  }
}
