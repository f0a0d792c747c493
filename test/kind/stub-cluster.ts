import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';
import type { ApiFixture } from './api-fixture.js';

// Makes the recording API server (api-fixture.ts) answer like a cluster on which everything
// succeeds at once: Deployments available, one running pod that is every Job's pod, Jobs done, and
// a pod log holding the k6 start marker, the k6 summary (test/kind/fixtures) and an audit result.
// Enough for a whole kind run against 127.0.0.1; `k6Finishes: false` keeps the k6 Job running.

const NS = 'deploy-loss-lab';

export function stubCluster(api: ApiFixture, opts: { k6Finishes: boolean; auditFinishes?: boolean }): void {
  const summary = readFileSync(join(ROOT, 'test/kind/fixtures/k6-summary.json'), 'utf8');
  const audit = { mode: 'audit', audit: { accepted: 10, applied: 10, lost: 0, duplicated: 0, unacknowledged: 0, balanceMismatches: 0 }, malformedLines: 0, drain: { drained: true, pending: 0, waitedMs: 1 } };
  // k6 started 10 min ago: the lab does not sleep until its deploy phase.
  const log = [`LAB_K6_T0 ${Date.now() - 600_000} {}`, 'LAB_K6_SUMMARY_BEGIN', summary, 'LAB_K6_SUMMARY_END', 'LAB_AUDIT_BEGIN', JSON.stringify(audit), 'LAB_AUDIT_END', ''].join('\n');
  const deployment = (name: string) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, generation: 1 },
    spec: { replicas: 1, selector: { matchLabels: { app: name } } },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  });
  const pods = { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [{ metadata: { name: 'stub-pod' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', containerStatuses: [{ state: { running: {} } }] } }] };
  api.handler = (method, path) => {
    if (method !== 'GET') return undefined;
    const dep = new RegExp(`^/apis/apps/v1/namespaces/${NS}/deployments/([a-z0-9-]+)$`).exec(path);
    if (dep) return [200, deployment(dep[1]!)];
    if (path === `/api/v1/namespaces/${NS}/pods`) return [200, pods];
    if (path === `/api/v1/namespaces/${NS}/pods/stub-pod/log`) return [200, log];
    const job = new RegExp(`^/apis/batch/v1/namespaces/${NS}/jobs/([a-z0-9-]+)/status$`).exec(path);
    if (job) {
      const done = job[1]!.startsWith('k6-') ? opts.k6Finishes : job[1]!.startsWith('ledger-audit-') ? opts.auditFinishes !== false : true;
      return [200, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: job[1] }, status: done ? { succeeded: 1 } : {} }];
    }
    return undefined;
  };
}
