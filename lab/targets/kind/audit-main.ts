import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { envRedisUrl, envString } from '../../../common/env.js';
import { LabError } from '../../../common/errors.js';
import { auditJobs } from '../../support/ledger-audit.js';
import { waitForQueueDrain } from '../../support/queue-drain.js';
import { APPLIED_SET, BALANCE_PREFIX, EFFECTS_LIST } from '../../../worker/ledger-keys.js';
import { parseAcceptedJobs } from './accepted.js';
import { AUDIT_BEGIN, AUDIT_END, K6_SUMMARY_BEGIN, K6_SUMMARY_END } from './constants.js';
import { between } from './markers.js';

// The in-cluster ledger Job of the kind target (lab/targets/kind/objects.ts auditJob). It runs next to
// Redis, so the lab needs no port-forward: `reset` empties the ledger before a repetition, `audit`
// waits for the queue to drain and audits Redis against the jobs k6 saw accepted.
// Usage: node dist/lab/targets/kind/audit-main.js reset | audit <k6-job-name>
// LAB_K6_LOG_FILE, if set, is read instead of the k6 pod's log (outside a cluster, and in tests).

function emit(result: unknown): void {
  process.stdout.write(`${AUDIT_BEGIN}\n${JSON.stringify(result)}\n${AUDIT_END}\n`);
}

async function scanDelete(redis: Redis, match: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  for (let i = 0; i < 100_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    if (keys.length) deleted += await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  return deleted;
}

async function k6Log(namespace: string, job: string): Promise<string> {
  // loaded only here: the Kubernetes client is most of the program's start-up, and reset (and a
  // log read from LAB_K6_LOG_FILE) never needs it
  const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromCluster();
  const core = kc.makeApiClient(CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
  const pod = pods.items[0]?.metadata?.name;
  if (!pod) throw new LabError('LAB_K8S_API', `no pod of Job ${namespace}/${job}; cannot read the accepted jobs`);
  return core.readNamespacedPodLog({ name: pod, namespace, container: 'k6' });
}

/**
 * Whether the LAB_JOB lines the log still holds are every job k6 saw accepted (its lab_jobs_accepted
 * count): a rotated or cut log would otherwise make the audit check only the surviving jobs.
 */
export function jobLinesCoverage(log: string, lines: number): { lines: number; k6Accepted: number | null; complete: boolean } {
  let k6Accepted: number | null = null;
  try {
    const n = JSON.parse(between(log, K6_SUMMARY_BEGIN, K6_SUMMARY_END) ?? 'null')?.metrics?.lab_jobs_accepted?.values?.count;
    if (typeof n === 'number') k6Accepted = n;
  } catch { /* no readable summary: unknown */ }
  return { lines, k6Accepted, complete: k6Accepted === lines };
}

async function main(argv: string[]): Promise<void> {
  const [mode, k6Job] = argv;
  const redisUrl = envRedisUrl(process.env);
  const namespace = envString(process.env, 'LAB_NAMESPACE', 'deploy-loss-lab');
  const queueName = envString(process.env, 'QUEUE_NAME', 'jobs');
  if (mode !== 'reset' && mode !== 'audit') throw new LabError('LAB_BAD_OPTION', `mode "${mode ?? ''}"; expected reset or audit <k6-job>`);
  if (mode === 'audit' && !k6Job) throw new LabError('LAB_BAD_OPTION', 'audit needs the k6 Job name');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  try {
    if (mode === 'reset') {
      const drain = await waitForQueueDrain(redisUrl, queueName);
      const deleted = (await redis.del(EFFECTS_LIST, APPLIED_SET)) + (await scanDelete(redis, `${BALANCE_PREFIX}*`));
      emit({ mode, deleted, drain });
      return;
    }
    const logFile = process.env.LAB_K6_LOG_FILE;
    const log = logFile ? readFileSync(logFile, 'utf8') : await k6Log(namespace, k6Job!);
    const { accepted, malformed } = parseAcceptedJobs(log);
    const drain = await waitForQueueDrain(redisUrl, queueName);
    const audit = await auditJobs(redis, accepted);
    emit({ mode, audit, malformedLines: malformed, drain, jobLines: jobLinesCoverage(log, accepted.length) });
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
