import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createEffect, type Effect } from '../worker/effect.js';
import { createProcessor } from '../worker/processor.js';
import { createMetrics } from '../worker/metrics.js';
import { ActiveJobs } from '../worker/active-jobs.js';
import type { EffectMode } from '../worker/config.js';
import { startLabRedis } from '../lab/support/procs.js';

// npm run bench:worker — what the exactly-once guard costs: the idempotent Lua effect against the
// naive MULTI increment, on the same throwaway redis-server, one run each.
//  1. effect only: EFFECT_OPS applications, EFFECT_INFLIGHT in flight (the guard's raw cost);
//  2. end to end: E2E_ROUNDS x E2E_JOBS jobs through a BullMQ Worker with the real processor, JOB_MS=0
//     (what a deployment sees: jobs/s).
const EFFECT_OPS = 20_000;
const EFFECT_INFLIGHT = 64;
const E2E_JOBS = 1500;
// The machine is shared: rounds alternate naive/idempotent so a burst of someone else's load
// hits both sides rather than one.
const E2E_ROUNDS = 4;
const E2E_CONCURRENCY = 16;
const E2E_LIMIT_MS = 120_000;

async function effectOps(effect: Effect, n: number, tag: string): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: EFFECT_INFLIGHT }, async () => {
    while (next < n) {
      const i = next++;
      await effect.apply({ account: `a${i % 100}`, amount: 1, idempotencyKey: `${tag}-${i}` });
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

/** Seconds to run E2E_JOBS jobs through a fresh queue. */
async function endToEnd(url: string, mode: EffectMode, round: number): Promise<number> {
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const effectRedis = new Redis(url, { maxRetriesPerRequest: null });
  const name = `bench-${mode}-${round}`;
  const queue = new Queue(name, { connection: conn });
  const jobs = Array.from({ length: E2E_JOBS }, (_, i) => ({ name: 'apply', data: { account: `e${i % 100}`, amount: 1, idempotencyKey: `${name}-${i}` }, opts: { removeOnComplete: true } }));
  for (let i = 0; i < jobs.length; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
  const processor = createProcessor({ effect: createEffect(effectRedis, mode), jobMs: 0, log: pino({ level: 'silent' }), metrics: createMetrics(), active: new ActiveJobs() });
  let done = 0;
  let resolveDone!: () => void;
  const allDone = new Promise<void>((r) => (resolveDone = r));
  const t0 = performance.now();
  const worker = new Worker(name, processor, { connection: conn, concurrency: E2E_CONCURRENCY });
  worker.on('completed', () => { if (++done === E2E_JOBS) resolveDone(); });
  worker.on('error', () => {});
  const limit = setTimeout(() => resolveDone(), E2E_LIMIT_MS);
  await allDone;
  const secs = (performance.now() - t0) / 1000;
  clearTimeout(limit);
  await worker.close();
  await queue.close();
  conn.disconnect();
  effectRedis.disconnect();
  if (done < E2E_JOBS) throw new Error(`${mode}: only ${done}/${E2E_JOBS} jobs completed within ${E2E_LIMIT_MS} ms`);
  return secs;
}

async function main(): Promise<void> {
  const redis = await startLabRedis();
  try {
    const client = new Redis(redis.url);
    const naive = createEffect(client, 'naive');
    const once = createEffect(client, 'idempotent');
    await effectOps(naive, 2000, 'warm-n');
    await effectOps(once, 2000, 'warm-i');
    const effNaive = await effectOps(naive, EFFECT_OPS, 'n');
    const effOnce = await effectOps(once, EFFECT_OPS, 'i');
    client.disconnect();
    let naiveSecs = 0;
    let onceSecs = 0;
    for (let r = 0; r < E2E_ROUNDS; r++) {
      naiveSecs += await endToEnd(redis.url, 'naive', r);
      onceSecs += await endToEnd(redis.url, 'idempotent', r);
    }
    const e2eNaive = (E2E_JOBS * E2E_ROUNDS) / naiveSecs;
    const e2eOnce = (E2E_JOBS * E2E_ROUNDS) / onceSecs;
    const pct = (a: number, b: number) => (((a - b) / a) * 100).toFixed(1);
    const lines = [
      `bench:worker  node ${process.version}  ${new Date().toISOString()}  redis-server on 127.0.0.1 (throwaway, no persistence)`,
      `effect only (${EFFECT_OPS} applications, ${EFFECT_INFLIGHT} in flight):`,
      `  naive MULTI INCRBY+RPUSH : ${effNaive.toFixed(0)} ops/s`,
      `  idempotent Lua script    : ${effOnce.toFixed(0)} ops/s   overhead ${pct(effNaive, effOnce)} % (negative = faster: one EVALSHA against four commands MULTI, INCRBY, RPUSH, EXEC)`,
      `end to end (${E2E_ROUNDS} alternating rounds of ${E2E_JOBS} jobs through a BullMQ Worker, concurrency ${E2E_CONCURRENCY}, JOB_MS=0):`,
      `  naive      : ${e2eNaive.toFixed(0)} jobs/s`,
      `  idempotent : ${e2eOnce.toFixed(0)} jobs/s   overhead ${pct(e2eNaive, e2eOnce)} % (target < 15 %; negative = faster)`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await redis.stop();
  }
}

main().catch((err) => { process.stderr.write(`bench:worker failed: ${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); });
