import { existsSync } from 'node:fs';
import { mulberry32 } from '../../../common/random.js';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { LabError } from '../../../common/errors.js';
import { waitForQueueDrain } from '../../support/queue-drain.js';
import { auditJobsDetail, type AcceptedJob, type JobAuditDetail } from '../../support/ledger-audit.js';
import { activeJobsOf, analyseDeliveries, evidence, type Deliveries, type EvidenceLine } from './evidence.js';
import type { KmjMode, KmjOptions } from './options.js';
import { freePort, spawnNode, startLabRedis, type LabProc } from '../../support/procs.js';

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

type Enqueue = (job: AcceptedJob) => Promise<boolean>;

/** POST /jobs on a real service (the only way jobs get in, as for any client), or bullmq if it is not built. */
async function startEnqueuer(root: string, redisUrl: string, queue: Queue, procs: LabProc[], say: (phase: string) => void): Promise<{ enqueue: Enqueue; via: ModeResult['enqueuedVia'] }> {
  if (!existsSync(join(root, SERVICE_SCRIPT))) {
    say(`WARNING: ${SERVICE_SCRIPT} not found; enqueueing through bullmq directly, with the service's job options`);
    return {
      via: 'bullmq (fallback: service not built)',
      enqueue: async (job) => { await queue.add('apply', job, { jobId: job.idempotencyKey, removeOnComplete: 1000, removeOnFail: false }); return true; },
    };
  }
  const port = await freePort();
  const svc = spawnNode('service', SERVICE_SCRIPT, { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redisUrl, QUEUE_NAME: QUEUE, LAB_FIXES: 'all' }, root);
  procs.push(svc);
  await waitHttp(`http://127.0.0.1:${port}/healthz`, 15_000, svc);
  return {
    via: 'POST /jobs',
    enqueue: async (job) => {
      const res = await request(`http://127.0.0.1:${port}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job), headersTimeout: 10_000, bodyTimeout: 10_000 });
      await res.body.text();
      return res.statusCode === 202;
    },
  };
}

/** Enqueues every job at o.rate per second from t0; resolves when each has an answer. */
async function enqueueAtRate(jobs: AcceptedJob[], enqueue: Enqueue, rate: number, t0: number): Promise<{ accepted: AcceptedJob[]; rejected: number }> {
  const accepted: AcceptedJob[] = [];
  let rejected = 0;
  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < jobs.length; i++) {
    const due = t0 + (i * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    const job = jobs[i]!;
    const p = enqueue(job).then((ok) => { if (ok) accepted.push(job); else rejected++; }, () => { rejected++; }).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  return { accepted, rejected };
}

/** Interleaved, SIGKILLs first: K T K T … then whatever remains. */
function signalPlan(kills: number, terms: number): Array<'SIGKILL' | 'SIGTERM'> {
  const plan: Array<'SIGKILL' | 'SIGTERM'> = [];
  for (let k = kills, t = terms; k + t > 0;) {
    if (k > 0) { plan.push('SIGKILL'); k--; }
    if (t > 0) { plan.push('SIGTERM'); t--; }
  }
  return plan;
}

interface Chaos {
  o: KmjOptions;
  rnd: () => number;
  t0: number;
  slots: LabProc[];
  startWorker: (slot: number) => Promise<LabProc>;
  say: (phase: string) => void;
}

/** Signals the two worker slots in turn, mid-job, restarting each like a container restart. */
async function runChaos(c: Chaos): Promise<SignalRecord[]> {
  const signals: SignalRecord[] = [];
  const plan = signalPlan(c.o.kills, c.o.terms);
  for (let i = 0; i < plan.length; i++) {
    const signal = plan[i]!;
    const slot = i % 2;
    const w = c.slots[slot]!;
    if (signal === 'SIGKILL') {
      // Right after one of its jobs applied the effect: the window where a redelivery repeats it
      // (a kill at a random instant lands there about a third of the time; this makes it certain).
      const from = w.lines.length;
      await w.waitFor((l) => l.event === 'job-applied' || l.event === 'job-duplicate-suppressed', 10_000, from).catch(() => undefined);
    } else {
      // A SIGTERM at a random point of a job's duration, once this worker has work.
      await w.waitFor((l) => l.event === 'job-started', 10_000, 0).catch(() => undefined);
      await sleep(Math.floor(c.rnd() * c.o.jobMs));
    }
    const active = activeJobsOf(w.lines);
    c.say(`enqueue + chaos: ${signal} ${w.name} (${i + 1}/${plan.length}, ${active} active jobs)`);
    const exit = await w.stop(signal, c.o.shutdownDeadlineMs + 3000);
    signals.push({ atMs: Date.now() - c.t0, worker: w.name, pid: w.child.pid, signal, activeJobs: active, exitCode: exit.code, exitSignal: exit.signal, forcedKill: exit.forced });
    await sleep(200); // a container restart is never instant
    c.slots[slot] = await c.startWorker(slot);
    await sleep(400);
  }
  return signals;
}

export async function runMode(mode: KmjMode, o: KmjOptions, root: string, say: (phase: string) => void): Promise<ModeResult> {
  const t0 = Date.now();
  const rnd = mulberry32(o.seed);
  const procs: LabProc[] = [];
  const redis = await startLabRedis();
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE, { connection: client });
  try {
    const { enqueue, via } = await startEnqueuer(root, redis.url, queue, procs, say);
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
    say('enqueue + chaos');
    const jobs: AcceptedJob[] = Array.from({ length: o.jobs }, (_, i) => ({ idempotencyKey: `kmj-${mode.id}-${i}`, account: `acct-${i % 10}`, amount: 1 + Math.floor(rnd() * 100) }));
    const enqueueing = enqueueAtRate(jobs, enqueue, o.rate, t0);
    const signals = await runChaos({ o, rnd, t0, slots, startWorker, say });
    const { accepted, rejected } = await enqueueing;
    say('draining');
    const { drained } = await waitForQueueDrain(redis.url, QUEUE, DRAIN_LIMIT_MS);
    say('audit');
    const lines = procs.filter((p) => p.name.startsWith('worker')).flatMap((p) => p.lines);
    const audit = await auditJobsDetail(client, accepted);
    return {
      mode: mode.id, fixes: mode.fixes, title: mode.title, enqueuedVia: via, accepted: accepted.length, rejected, drained,
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
