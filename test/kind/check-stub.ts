import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';
import type { ApiFixture } from './api-fixture.js';

// Makes the recording API server (api-fixture.ts) answer like a cluster on which `check` rolls a
// user's Deployment `orders` in namespace `shop`, behind a Service `orders-svc` whose name is not the
// Deployment's, pods labelled app.kubernetes.io/name (no `app` label) and a selector with
// matchExpressions. Around the restart the watches deliver, as the API server would:
// - the old `orders` pod deleted, leaving rotation (endpoint ready=false, terminating) and SIGKILLed
//   at the end of its grace period (exit 137): the one SIGKILL check must count;
// - a pod of another Deployment (`cart`) deleted and SIGKILLed at the same time: not counted;
// - an `orders` pod OOMKilled (exit 137, reason OOMKilled) without a deletion: named, not counted;
// - the k6 pod (owned by the Job, not by a ReplicaSet): never counted.
// The rollout completes 2.5 s after the restart, so the second round of watch events lands inside
// the deploy window. Watches end at once and are restarted by the executor (about 1 s apart).

export const NS = 'shop';
export const SELECTOR = { matchLabels: { 'app.kubernetes.io/name': 'orders' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] };
const LABELS = { 'app.kubernetes.io/name': 'orders', tier: 'web' };

const owner = (kind: string, name: string) => [{ apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, name, uid: `uid-${name}`, controller: true }];

export function stubCheckCluster(api: ApiFixture): { restarts: () => number } {
  const summary = readFileSync(join(ROOT, 'test/kind/fixtures/k6-summary.json'), 'utf8');
  // a plan as the k6 script prints it; the summary's requests have no LAB_REQ lines here (the records are
  // not what these tests read: SIGKILLs, deregistration, the calls made), so the coverage is partial
  const plan = { runId: 'check-t1', rate: 10, perPath: 10, paths: ['l4'], keepAlive: true, W: 1, B: 1, D: 1, C: 1 };
  const log = [`LAB_K6_T0 ${Date.now() - 600_000} ${JSON.stringify(plan)}`, 'LAB_K6_SUMMARY_BEGIN', summary, 'LAB_K6_SUMMARY_END', ''].join('\n');
  let restartedAt = 0;
  let restarts = 0;
  const rolledOut = () => restartedAt === 0 || Date.now() - restartedAt > 2500;
  const deployment = () => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'orders', namespace: NS, generation: 1 + restarts, resourceVersion: '100' },
    spec: { replicas: 2, selector: SELECTOR, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } }, template: { metadata: { labels: LABELS }, spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: 'shop/orders:1' }] } } },
    status: rolledOut() ? { observedGeneration: 1 + restarts, replicas: 2, updatedReplicas: 2, availableReplicas: 2 } : { observedGeneration: 1 + restarts, replicas: 3, updatedReplicas: 1, availableReplicas: 2 },
  });
  const rs = (name: string, dep: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: NS, resourceVersion: '101', ownerReferences: owner('Deployment', dep) } });
  const ready = [{ type: 'Ready', status: 'True' }];
  const pod = (name: string, rsName: string | null, labels: Record<string, string>, extra: { deleting?: boolean; term?: { exitCode: number; reason: string } } = {}) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NS, labels, resourceVersion: '102', ownerReferences: rsName ? owner('ReplicaSet', rsName) : owner('Job', 'check-k6'), ...(extra.deleting ? { deletionTimestamp: new Date().toISOString() } : {}) },
    spec: { containers: [{ name: 'app', image: 'shop/orders:1' }] },
    status: { phase: 'Running', podIP: `10.244.0.${name.length}`, conditions: extra.deleting || extra.term ? [{ type: 'Ready', status: 'False' }] : ready, containerStatuses: [{ name: 'app', restartCount: 0, state: extra.term ? { terminated: extra.term } : { running: {} } }] },
  });
  const k6Pod = { ...pod('check-k6-abcde', null, { 'job-name': 'check-k6' }), metadata: { name: 'check-k6-abcde', namespace: NS, labels: { 'job-name': 'check-k6' }, ownerReferences: owner('Job', 'check-k6') } };
  const slice = (oldReady: boolean, oldPresent: boolean) => ({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'orders-svc-x1', namespace: NS, resourceVersion: '103', labels: { 'kubernetes.io/service-name': 'orders-svc' } },
    endpoints: [
      ...(oldPresent ? [{ targetRef: { kind: 'Pod', name: 'orders-aaa-1' }, conditions: { ready: oldReady, serving: oldReady, terminating: !oldReady } }] : []),
      { targetRef: { kind: 'Pod', name: 'orders-bbb-2' }, conditions: { ready: true, serving: true, terminating: false } },
    ],
  });
  const events = (path: string): unknown[] => {
    const after = restartedAt > 0;
    if (path.endsWith('/deployments')) return [deployment()];
    if (path.endsWith('/replicasets')) return [rs('orders-aaa', 'orders'), rs('orders-bbb', 'orders'), rs('cart-ccc', 'cart')];
    if (path.endsWith('/pods')) {
      const base = [pod('orders-aaa-1', 'orders-aaa', LABELS), pod('orders-bbb-2', 'orders-bbb', LABELS), pod('orders-aaa-oom', 'orders-aaa', LABELS), pod('cart-ccc-1', 'cart-ccc', { app: 'cart' }), k6Pod];
      if (!after) return base;
      const sigkill = { exitCode: 137, reason: 'Error' };
      return [...base,
        pod('orders-aaa-1', 'orders-aaa', LABELS, { deleting: true }), pod('orders-aaa-1', 'orders-aaa', LABELS, { deleting: true, term: sigkill }),
        pod('cart-ccc-1', 'cart-ccc', { app: 'cart' }, { deleting: true }), pod('cart-ccc-1', 'cart-ccc', { app: 'cart' }, { deleting: true, term: sigkill }),
        pod('orders-aaa-oom', 'orders-aaa', LABELS, { term: { exitCode: 137, reason: 'OOMKilled' } }),
        { ...k6Pod, status: { ...k6Pod.status, containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 137, reason: 'Error' } } }] } }];
    }
    if (path.endsWith('/endpointslices')) return after ? [slice(true, true), slice(false, true), slice(false, false)] : [slice(true, true)];
    return [];
  };
  api.handler = (method, path, url) => {
    const watch = /[?&]watch=true/.test(url);
    if (method === 'GET' && watch && new RegExp(`^/apis?/.*namespaces/${NS}/`).test(path)) {
      return [200, `${events(path).map((o, i) => JSON.stringify({ type: i === 0 ? 'ADDED' : 'MODIFIED', object: o })).join('\n')}\n`];
    }
    if (method === 'PATCH' && path === `/apis/apps/v1/namespaces/${NS}/deployments/orders`) {
      restartedAt = Date.now();
      restarts++;
      return [200, deployment()];
    }
    if (method !== 'GET') return undefined;
    if (path === `/apis/apps/v1/namespaces/${NS}/deployments/orders`) return [200, deployment()];
    if (path === `/api/v1/namespaces/${NS}/pods`) {
      const job = /labelSelector=job-name%3D([a-z0-9-]+)/.exec(url);
      const items = job ? [{ ...k6Pod, metadata: { ...k6Pod.metadata, labels: { 'job-name': job[1] } } }] : [pod('orders-bbb-2', 'orders-bbb', LABELS)];
      return [200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items }];
    }
    if (path === `/api/v1/namespaces/${NS}/pods/check-k6-abcde/log`) return [200, log];
    const job = new RegExp(`^/apis/batch/v1/namespaces/${NS}/jobs/([a-z0-9-]+)/status$`).exec(path);
    if (job) return [200, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: job[1] }, status: { succeeded: 1 } }];
    return undefined;
  };
  return { restarts: () => restarts };
}
