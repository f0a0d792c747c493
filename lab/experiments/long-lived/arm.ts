import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { LabError } from '../../../common/errors.js';
import { EVENTS_KEY } from '../../../service/events/stream-id.js';
import type { Progress } from '../../engine/progress.js';
import type { TimelineEvent } from '../../engine/schema.js';
import { onTeardown } from '../../engine/teardown.js';
import { LocalCluster } from '../../targets/local/cluster.js';
import { buildClients, type ClientSet } from './clients.js';
import { SERVICE, writeSizedManifest, type ServiceOverrides } from './manifest.js';
import type { LongLivedArgs, LongLivedArm } from './options.js';
import { encodeId, type StreamRecord, type StreamSample, type UploadRecord } from './records.js';
import { StreamSampler } from './stream-sampler.js';
import type { Truth } from './stats.js';
import { Uploader } from './uploader.js';

// One arm on a fresh local cluster: clients connect, `deploys` rolling restarts of the service run
// back to back (the next once the previous is complete in Kubernetes' sense: every new pod
// available; old pods keep draining meanwhile), then the lab waits for the last old pod to exit,
// lets things settle, stops the clients and reads the stream as it stands for the audit.

const WARMUP_MS = 10_000;
const PAUSE_BETWEEN_DEPLOYS_MS = 5000;
const COOLDOWN_MS = 5000;
const CONNECT_SPREAD_MS = 3000;
const SAMPLE_EVERY_MS = 2000;
/** a rollout of 3 pods on this machine, for the remaining-time estimate only */
const ROLLOUT_ESTIMATE_MS = 15_000;

export interface ArmRun {
  arm: LongLivedArm;
  startedAt: number;
  stopAt: number;
  overrides: ServiceOverrides;
  deploys: Array<{ n: number; start: number; end: number }>;
  lastOldPodExitAt: number;
  streams: StreamRecord[];
  uploads: UploadRecord[];
  samples: StreamSample[];
  truth: Truth;
  events: TimelineEvent[];
  notes: string[];
}

export interface ArmOptions {
  arm: LongLivedArm;
  args: LongLivedArgs;
  workDir: string;
  runId: string;
  progress: Progress;
  /** epoch ms this arm is expected to end, for the progress line */
  plannedEndAt: () => number;
}

/** How long one arm should take, for progress and the planned-time line. */
export function plannedArmMs(arm: LongLivedArm, a: LongLivedArgs): number {
  const drainTail = arm === 'after' ? (a.deregistrationS + 1 + a.drainWindowS + 3) * 1000 : 12_000;
  return 15_000 + WARMUP_MS + a.deploys * (ROLLOUT_ESTIMATE_MS + PAUSE_BETWEEN_DEPLOYS_MS) + drainTail + COOLDOWN_MS;
}

async function readTruth(redisUrl: string): Promise<Truth> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 5000, commandTimeout: 10_000, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const entries = (await redis.xrange(EVENTS_KEY, '-', '+')) as Array<[string, string[]]>;
    const at = entries.map(([, f]) => Number(f[f.indexOf('at') + 1]));
    return { ids: entries.map(([id]) => encodeId(id)), at };
  } finally {
    redis.disconnect();
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number, tick: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new LabError('LAB_TIMEOUT', `${what} within ${Math.round(timeoutMs / 1000)} s`);
    tick();
    await sleep(250);
  }
}

export async function runArm(o: ArmOptions): Promise<ArmRun> {
  const { arm, args } = o;
  const runDir = join(o.workDir, `${o.runId}-${arm}`);
  mkdirSync(runDir, { recursive: true });
  const startedAt = Date.now();
  const { file, overrides } = writeSizedManifest(arm, { deregistrationS: args.deregistrationS, drainWindowS: args.drainWindowS, uploadBytesPerS: args.uploadBytesPerS }, runDir);
  let cluster: LocalCluster | undefined;
  let clients: ClientSet | undefined;
  let uploader: Uploader | undefined;
  let sampler: StreamSampler | undefined;
  const stopAll = async () => {
    sampler?.stop();
    await clients?.close();
    await uploader?.stop();
  };
  const unregister = onTeardown(async () => { await stopAll(); await cluster?.close(); });
  let phase = 'starting the local cluster';
  let shown = { phase: '', at: 0 };
  const show = () => {
    // A log file gets a line per phase change or per 5 s; a terminal gets the line rewritten each second.
    if (!process.stderr.isTTY && phase === shown.phase && Date.now() - shown.at < 5000) return;
    shown = { phase, at: Date.now() };
    const all = clients ? [...clients.sse, ...clients.ws].map((c) => c.rec) : [];
    const cut = all.reduce((n, r) => n + r.cut, 0);
    const clean = all.reduce((n, r) => n + r.clean, 0);
    const up = uploader?.records.filter((r) => r.outcome === 'completed').length ?? 0;
    o.progress.update({ phase: `${phase} | streams open ~${sampler?.openNow() ?? 0}, ended clean ${clean} / cut ${cut}, uploads done ${up}`, etaAt: o.plannedEndAt() });
  };
  const ticker = setInterval(show, 1000);
  try {
    o.progress.update({ arm: `long-lived ${arm} dereg ${args.deregistrationS}s`, rep: 1, reps: 1, phase, startedAt, etaAt: o.plannedEndAt() });
    cluster = await LocalCluster.start({ manifestFile: file, runDir, propagationDelayMs: args.propagationDelayMs, deregistrationDelayMs: args.deregistrationS * 1000 });
    const c = cluster;
    const replicas = c.manifest.deployments.find((d) => d.name === SERVICE)?.replicas ?? 1;
    const servicePods = () => c.pods().filter((p) => p.deployment === SERVICE);
    await waitFor(`the routing view of Service/${SERVICE} did not list ${replicas} pods`, () => c.view(SERVICE).endpoints().length >= replicas, 30_000, show);

    phase = 'clients connecting';
    clients = buildClients(c, args.sseClients, args.wsClients);
    const streamClients = [...clients.sse, ...clients.ws];
    streamClients.forEach((cl, i) => setTimeout(() => { if (cl.state === 'idle') cl.start(); }, (i * CONNECT_SPREAD_MS) / Math.max(1, streamClients.length)).unref());
    sampler = new StreamSampler(c, SAMPLE_EVERY_MS);
    sampler.start();
    // Deploys start from a steady state: every client streaming (a pod may accept before it listens).
    await waitFor('not every stream client connected', () => streamClients.every((cl) => cl.rec.opens > 0), 60_000, show);
    uploader = new Uploader(clients.uploadTargets, args.uploadEveryMs, args.uploadBytes, Math.ceil((args.uploadBytes / args.uploadBytesPerS) * 1000) + 30_000);
    uploader.start();
    phase = 'warm-up';
    await sleep(WARMUP_MS);

    const deploys: ArmRun['deploys'] = [];
    for (let n = 1; n <= args.deploys; n++) {
      phase = `deploy ${n}/${args.deploys}`;
      show();
      const start = Date.now();
      await c.rolloutRestart([SERVICE], { untilAvailable: true });
      deploys.push({ n, start, end: Date.now() });
      o.progress.log(`long-lived ${arm}: deploy ${n}/${args.deploys} complete (all new pods available) after ${((Date.now() - start) / 1000).toFixed(1)} s; ${servicePods().length - replicas} old pods still terminating`);
      if (n < args.deploys) await sleep(PAUSE_BETWEEN_DEPLOYS_MS);
    }
    phase = 'old pods draining';
    const graceMs = overrides.terminationGracePeriodSeconds * 1000;
    await waitFor('the old service pods did not exit', () => servicePods().length <= replicas, graceMs + 60_000, () => {
      phase = `old pods draining (${servicePods().length - replicas} left)`;
      show();
    });
    const lastOldPodExitAt = Date.now();
    phase = 'cool-down';
    await sleep(COOLDOWN_MS);
    const stopAt = Date.now();
    await stopAll();
    const truth = await readTruth(c.redisUrl);
    const run: ArmRun = {
      arm, startedAt, stopAt, overrides, deploys, lastOldPodExitAt,
      streams: streamClients.map((cl) => cl.rec), uploads: [...uploader.records], samples: [...sampler.samples],
      truth, events: [...c.events], notes: [...c.notes],
    };
    await c.close();
    return run;
  } catch (err) {
    await stopAll();
    await cluster?.close();
    throw err;
  } finally {
    clearInterval(ticker);
    unregister();
  }
}
