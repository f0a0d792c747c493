import { existsSync } from 'node:fs';
import { mulberry32 } from '../../../common/random.js';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { LabError } from '../../../common/errors.js';
import { auditJobsDetail, type AcceptedJob, type JobAuditDetail } from '../../shared/ledger-audit.js';
import { activeJobsOf, analyseDeliveries, evidence, type Deliveries, type EvidenceLine } from './evidence.js';
import type { KmjMode, KmjOptions } from './options.js';
import { freePort, spawnNode, startLabRedis, type LabProc } from '../../shared/procs.js';

export interface SignalRecord {
  atMs: number; // since the mode started
  worker: string;
  pid: number | undefined;
  signal: 'SIGKILL' | 'SIGTERM';
  activeJobs: number;
  exitCode: number | null;
  exitSignal: string | null;
  forcedKill: boolean;
}

export interface ModeResult {
  mode: string;
  fixes: string;
  title: string;
  enqueuedVia: 'POST /jobs' | 'bullmq (fallback: service not built)';
  accepted: number;
  rejected: number;
  drained: boolean;
  wallMs: number;
  deliveries: Deliveries;
  audit: JobAuditDetail;
  signals: SignalRecord[];
  evidence: Record<string, EvidenceLine[]>;
}

const QUEUE = 'kill-mid-job';
const DRAIN_LIMIT_MS = 120_000;
const SERVICE_SCRIPT = 'dist/service/main.js';
const WORKER_SCRIPT = 'dist/worker/main.js';

export async function runMode(mode: KmjMode, o: KmjOptions, root: string, say: (phase: string) => void): Promise<ModeResult> {
  const t0 = Date.now();
  const rnd = mulberry32(o.seed);
  const procs: LabProc[] = [];
  const redis = await startLabRedis();
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE, { connection: client });
  try {
    // --- service (the only way jobs get in, as for any client) ---
    let enqueue: (job: AcceptedJob) => Promise<boolean>;
    let enqueuedVia: ModeResult['enqueuedVia'];
    if (existsSync(join(root, SERVICE_SCRIPT))) {
      const port = await freePort();
      const svc = spawnNode('service', SERVICE_SCRIPT, { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url, QUEUE_NAME: QUEUE, LAB_FIXES: 'all' }, root);
      procs.push(svc);
      await waitHttp(`http://127.0.0.1:${port}/healthz`, 15_000, svc);
      enqueuedVia = 'POST /jobs';
      enqueue = async (job) => {
        const res = await request(`http://127.0.0.1:${port}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job), headersTimeout: 10_000, bodyTimeout: 10_000 });
        await res.body.text();
        return res.statusCode === 202;
      };
    } else {
      enqueuedVia = 'bullmq (fallback: service not built)';
      say(`WARNING: ${SERVICE_SCRIPT} not found; enqueueing through bullmq directly, with the service's job options`);
      enqueue = async (job) => { await queue.add('apply', job, { jobId: job.idempotencyKey, removeOnComplete: 1000, removeOnFail: false }); return true; };
    }

    // --- two worker slots, restarted after every signal ---
    const workerEnv = {
      REDIS_URL: redis.url, QUEUE_NAME: QUEUE, HOST: '127.0.0.1', METRICS_PORT: '0', LAB_FIXES: mode.fixes,
      JOB_MS: String(o.jobMs), LOCK_MS: String(o.lockMs), WORKER_CONCURRENCY: String(o.concurrency), SHUTDOWN_DEADLINE_MS: String(o.shutdownDeadlineMs),
    };
    let started = 0;
    const startWorker = async (slot: number) => {
      const w = spawnNode(`worker-${slot}#${++started}`, WORKER_SCRIPT, workerEnv, root);
      procs.push(w);
      await w.waitFor((l) => l.event === 'listening', 15_000);
      return w;
    };
    const slots = [await startWorker(0), await startWorker(1)];

    // --- enqueue at a steady rate while the chaos runs ---
    say('enqueue + chaos');
    const accepted: AcceptedJob[] = [];
    let rejected = 0;
    const jobs: AcceptedJob[] = Array.from({ length: o.jobs }, (_, i) => ({ idempotencyKey: `kmj-${mode.id}-${i}`, account: `acct-${i % 10}`, amount: 1 + Math.floor(rnd() * 100) }));
    const enqueueing = (async () => {
      const inflight = new Set<Promise<void>>();
      for (let i = 0; i < jobs.length; i++) {
        const due = t0 + (i * 1000) / o.rate;
        if (due > Date.now()) await sleep(due - Date.now());
        const job = jobs[i]!;
        const p = enqueue(job).then((ok) => { if (ok) accepted.push(job); else rejected++; }, () => { rejected++; }).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await Promise.all(inflight);
    })();

    const signals: SignalRecord[] = [];
    const plan: Array<'SIGKILL' | 'SIGTERM'> = [];
    for (let k = o.kills, t = o.terms; k + t > 0;) {
      // interleaved, SIGKILLs first: K T K T ... then whatever remains
      if (k > 0) { plan.push('SIGKILL'); k--; }
      if (t > 0) { plan.push('SIGTERM'); t--; }
    }
    for (let i = 0; i < plan.length; i++) {
      const signal = plan[i]!;
      const slot = i % 2;
      const w = slots[slot]!;
      if (signal === 'SIGKILL') {
        // Right after one of its jobs applied the effect: the window where a redelivery repeats it
        // (a kill at a random instant lands there about a third of the time; this makes it certain).
        const from = w.lines.length;
        await w.waitFor((l) => l.event === 'job-applied' || l.event === 'job-duplicate-suppressed', 10_000, from).catch(() => undefined);
      } else {
        // A SIGTERM at a random point of a job's duration, once this worker has work.
        await w.waitFor((l) => l.event === 'job-started', 10_000, 0).catch(() => undefined);
        await sleep(Math.floor(rnd() * o.jobMs));
      }
      const active = activeJobsOf(w.lines);
      say(`enqueue + chaos: ${signal} ${w.name} (${i + 1}/${plan.length}, ${active} active jobs)`);
      const exit = await w.stop(signal, o.shutdownDeadlineMs + 3000);
      signals.push({ atMs: Date.now() - t0, worker: w.name, pid: w.child.pid, signal, activeJobs: active, exitCode: exit.code, exitSignal: exit.signal, forcedKill: exit.forced });
      await sleep(200); // a container restart is never instant
      slots[slot] = await startWorker(slot);
      await sleep(400);
    }
    await enqueueing;

    say('draining');
    const drained = await waitDrained(queue);
    say('audit');
    const lines = procs.filter((p) => p.name.startsWith('worker')).flatMap((p) => p.lines);
    const audit = await auditJobsDetail(client, accepted);
    return {
      mode: mode.id, fixes: mode.fixes, title: mode.title, enqueuedVia, accepted: accepted.length, rejected, drained,
      wallMs: Date.now() - t0, deliveries: analyseDeliveries(lines), audit, signals, evidence: evidence(lines, 3),
    };
  } finally {
    say('teardown');
    await Promise.all(procs.map((p) => p.stop('SIGKILL', 5000)));
    await queue.close().catch(() => {});
    client.disconnect();
    await redis.stop();
  }
}

async function waitHttp(url: string, withinMs: number, proc: LabProc): Promise<void> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (!proc.alive()) throw new LabError('LAB_TIMEOUT', `${proc.name} exited before ${url} answered; stderr: ${proc.stderr().slice(-1000)}`);
    try {
      const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.text();
      if (res.statusCode === 200) return;
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  throw new LabError('LAB_TIMEOUT', `${url} did not answer 200 within ${withinMs} ms`);
}

/** Until nothing is waiting, delayed or active (stall detection included), bounded. */
async function waitDrained(queue: Queue): Promise<boolean> {
  const until = Date.now() + DRAIN_LIMIT_MS;
  while (Date.now() < until) {
    const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children');
    if (Object.values(c).every((n) => n === 0)) return true;
    await sleep(250);
  }
  return false;
}
