import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { startK6Shim } from './k6-shim/spawn.js';
import type { ApiFixture } from './api-fixture.js';

// Makes the recording API server (api-fixture.ts) answer like a cluster on which everything
// succeeds at once: Deployments available, Jobs run, objects get uids (a second create of a name
// is a 409, as on a real API server). A k6 Job runs the script of its ConfigMap for real, under the
// k6 shim (test/kind/k6-shim), against a loopback service standing in for the cluster's, so its
// pod log holds real request lines and a real summary (the shim, one thread, catches up when the
// machine is busy instead of dropping iterations). `k6Finishes: false` keeps the k6 Job running.

export interface StubOptions {
  namespace?: string;
  k6Finishes: boolean;
  /** false: the ledger audit Job never finishes (a Ctrl-C during the audit must still clean up) */
  auditFinishes?: boolean;
  /** the k6 Job's environment, overridden (short phases, a skewed clock) */
  k6Env?: Record<string, string>;
  /** what the pod log API returns of the k6 log (rotation, loss), given the whole log and whether k6 ended */
  logView?: (log: string, ended: boolean) => string;
  /** the k6 container's terminated state as the pod status gives it; default the shim's own exit code */
  exit?: (code: number | null) => { exitCode: number; reason?: string } | null;
  /** once k6 ended, its pod and log answer 404 (deleted, evicted) */
  podGoneWhenEnded?: boolean;
  /** the stand-in service's answer per request path (default 200; POST /jobs 202) */
  answer?: (method: string, url: string) => number;
}

interface K6Run { log: string; ended: boolean; code: number | null; kill(): void }

export interface Stub {
  /** k6 Jobs by name */
  k6: Map<string, K6Run>;
  /** uid of each object that exists, by `kind/name` */
  uids: Map<string, string>;
  /** every uid the stub ever gave, by `kind/name` (deleted objects included) */
  given: Map<string, string>;
  close(): Promise<void>;
}

const ROLLOUT_MS = 1500;
const AUDIT = { mode: 'audit', audit: { accepted: 0, applied: 0, lost: 0, duplicated: 0, unacknowledged: 0, balanceMismatches: 0 }, malformedLines: 0, drain: { drained: true, pending: 0, waitedMs: 1 } };

export async function stubCluster(api: ApiFixture, opts: StubOptions): Promise<Stub> {
  const ns = opts.namespace ?? 'deploy-loss-lab';
  const service: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = opts.answer?.(req.method ?? '', req.url ?? '') ?? (req.method === 'POST' && req.url === '/jobs' ? 202 : 200);
      if (status === 0) { req.socket.destroy(); return; }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
  const a = service.address();
  const serviceUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  const k6 = new Map<string, K6Run>();
  const uids = new Map<string, string>();
  const given = new Map<string, string>();
  const configMaps = new Map<string, Record<string, string>>();
  const last = () => api.requests.at(-1)!;
  const body = () => { try { return JSON.parse(last().body || '{}'); } catch { return {}; } };

  const startK6 = (job: any) => {
    const c = job.spec.template.spec.containers[0];
    const env: Record<string, string> = Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value]));
    const files = configMaps.get(job.spec.template.spec.volumes.find((v: any) => v.configMap).configMap.name) ?? {};
    const run: K6Run = { log: '', ended: false, code: null, kill: () => {} };
    const shim = startK6Shim(JSON.parse(files['scenario.json'] ?? '{}'), { ...env, LAB_L4_URL: serviceUrl, LAB_INGRESS_URL: serviceUrl, K6_SHIM_MAX_LAG_MS: '60000', ...opts.k6Env }, (log) => { run.log = log; }, files);
    run.kill = shim.kill;
    void shim.done.then((r) => { run.log = r.log; run.code = r.code; run.ended = true; });
    k6.set(job.metadata.name, run);
  };
  const isK6 = (job: string) => k6.has(job);
  const running = { state: { running: { startedAt: new Date().toISOString() } } };
  const podOf = (job: string) => {
    const run = k6.get(job);
    const exit = run?.ended ? (opts.exit ? opts.exit(run.code) : { exitCode: run.code ?? 137 }) : null;
    const state = !run ? { terminated: { exitCode: 0, reason: 'Completed' } } : !run.ended ? running.state : exit ? { terminated: exit } : null;
    // a null exit: the status says nothing of the container (an evicted pod, a node gone)
    const statuses = state ? [{ name: run ? 'k6' : 'audit', state }] : [];
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${job}-pod`, namespace: ns, labels: { 'job-name': job } }, spec: { containers: [{ name: run ? 'k6' : 'audit' }] }, status: { phase: run && !run.ended ? 'Running' : 'Succeeded', containerStatuses: statuses } };
  };
  // a restart takes ROLLOUT_MS to roll out (the controller has not observed the new generation
  // before), so the deploy window is long enough to hold requests
  const restarted = new Map<string, { generation: number; at: number }>();
  const deployment = (name: string) => {
    const r = restarted.get(name) ?? { generation: 1, at: 0 };
    const observed = Date.now() - r.at >= ROLLOUT_MS ? r.generation : r.generation - 1;
    return {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, generation: r.generation, uid: `dep-${name}` },
      spec: { replicas: 1, selector: { matchLabels: { app: name } } },
      status: { observedGeneration: observed, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
    };
  };
  const appPod = { metadata: { name: 'app-pod', namespace: ns, labels: { app: 'app' } }, spec: { containers: [{ name: 'app' }] }, status: { phase: 'Running', containerStatuses: [{ name: 'app', ...running }] } };

  api.handler = (method, path) => {
    if (method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      return [201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', status: { allowed: true } }];
    }
    const created = new RegExp(`^/(?:api/v1|apis/batch/v1)/namespaces/${ns}/(configmaps|jobs)$`).exec(path);
    if (method === 'POST' && created) {
      const obj = body();
      const key = `${obj.kind}/${obj.metadata?.name}`;
      if (uids.has(key)) return [409, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', code: 409, message: `${key} already exists` }];
      const uid = randomUUID();
      uids.set(key, uid);
      given.set(key, uid);
      if (obj.kind === 'ConfigMap') configMaps.set(obj.metadata.name, obj.data ?? {});
      if (obj.kind === 'Job' && obj.spec.template.spec.containers[0].name === 'k6') startK6(obj);
      return [201, { ...obj, metadata: { ...obj.metadata, uid } }];
    }
    // the lab's own runs apply the k6 ConfigMap (server-side apply)
    const applied = new RegExp(`^/api/v1/namespaces/${ns}/configmaps/([a-z0-9-]+)$`).exec(path);
    if (method === 'PATCH' && applied) configMaps.set(applied[1]!, body().data ?? {});
    if (method === 'DELETE') {
      const m = new RegExp(`^/(?:api/v1|apis/batch/v1)/namespaces/${ns}/(configmaps|jobs)/([a-z0-9-]+)$`).exec(path);
      if (m) {
        const key = `${m[1] === 'jobs' ? 'Job' : 'ConfigMap'}/${m[2]}`;
        const want = body().preconditions?.uid;
        if (want && uids.get(key) !== want) return [409, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: 'Precondition failed: UID in precondition does not match' }];
        if (m[1] === 'jobs') k6.get(m[2]!)?.kill();
        uids.delete(key);
      }
      return undefined;
    }
    const patched = new RegExp(`^/apis/apps/v1/namespaces/${ns}/deployments/([a-z0-9-]+)$`).exec(path);
    if (method === 'PATCH' && patched && last().body.includes('restartedAt')) {
      const r = restarted.get(patched[1]!) ?? { generation: 1, at: 0 };
      restarted.set(patched[1]!, { generation: r.generation + 1, at: Date.now() });
      return [200, deployment(patched[1]!)];
    }
    if (method !== 'GET') return undefined;
    const dep = new RegExp(`^/apis/apps/v1/namespaces/${ns}/deployments/([a-z0-9-]+)$`).exec(path);
    if (dep) return [200, deployment(dep[1]!)];
    if (path === `/api/v1/namespaces/${ns}/pods`) {
      const job = /labelSelector=job-name%3D([a-z0-9-]+)|labelSelector=job-name=([a-z0-9-]+)/.exec(last().url);
      const name = job?.[1] ?? job?.[2];
      return [200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: name ? [podOf(name)] : [appPod] }];
    }
    const pod = new RegExp(`^/api/v1/namespaces/${ns}/pods/([a-z0-9-]+)-pod(/log)?$`).exec(path);
    if (pod) {
      const job = pod[1]!;
      if (opts.podGoneWhenEnded && k6.get(job)?.ended) return [404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `pods "${job}-pod" not found` }];
      if (!pod[2]) return [200, podOf(job)];
      const run = k6.get(job);
      if (!run) return [200, ['LAB_AUDIT_BEGIN', JSON.stringify(AUDIT), 'LAB_AUDIT_END', ''].join('\n')];
      return [200, opts.logView ? opts.logView(run.log, run.ended) : run.log];
    }
    const job = new RegExp(`^/apis/batch/v1/namespaces/${ns}/jobs/([a-z0-9-]+)/status$`).exec(path);
    if (job) {
      const name = job[1]!;
      const run = k6.get(name);
      const done = isK6(name) ? opts.k6Finishes && run!.ended : name.startsWith('ledger-audit-') ? opts.auditFinishes !== false : true;
      const failed = run?.ended && run.code !== 0;
      return [200, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, status: done ? (failed ? { failed: 1 } : { succeeded: 1 }) : {} }];
    }
    return undefined;
  };
  return {
    k6, uids, given,
    async close() {
      api.handler = undefined;
      for (const r of k6.values()) r.kill();
      service.closeAllConnections();
      await new Promise<void>((r) => service.close(() => r()));
    },
  };
}
