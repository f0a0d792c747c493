import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { LabError } from '../../common/errors.js';
import { LoadGenerator, type LoadTarget } from '../../loadtest/generator.js';
import type { Scenario } from '../../loadtest/scenario.js';
import { auditJobs } from '../shared/ledger-audit.js';
import { waitForQueueDrain } from '../shared/queue-drain.js';
import type { Arm } from './arms.js';
import { Progress } from './progress.js';
import { startLocalTarget, type RolloutProgress, type Target } from './target.js';
import { writeRunArtifacts, type PhaseMark } from './artifacts.js';
import { currentCommit, REPO_ROOT, stamp } from './meta.js';
import { loadNow, machineLoad } from './machine.js';
import { ServingProbe } from './serving-probe.js';
import { onTeardown } from './teardown.js';
import type { JobAudit, RunSummary, TimelineEvent } from './schema.js';
import { summarize, type ReadySample } from '../report/summarize.js';
import { deployWindow } from '../report/stats.js';

// The experiment protocol (docs/architecture.md, "Experiment engine"), identical for every arm:
// warm-up → steady baseline → N rolling restarts under the same open-model load → cool-down → job audit.

export const ROLLED_DEPLOYMENTS = ['service', 'worker'] as const;
export const SERVING_DEPLOYMENT = 'service';
export const PHASES = ['starting', 'warmup', 'baseline', 'deploy', 'pause', 'cooldown', 'draining', 'audit', 'teardown', 'done'] as const;
export type Phase = (typeof PHASES)[number];

export interface ExperimentOptions {
  arm: Arm;
  rep: number;
  reps: number;
  rate: number;
  deploys: number;
  propagationDelayMs?: number;
  scenario: Scenario;
  keepAlive?: boolean;
  /** results/ (run directories go under results/runs/) */
  resultsDir: string;
  /** scratch space for pod logs and the cluster's files (not committed) */
  workDir: string;
  command: string;
  batch: string;
  progress?: Progress;
  /** progress: when the whole invocation started and is expected to end */
  invocationStartedAt?: number;
  etaAt?: () => number | undefined;
  /** upper bound for the queue to drain before the audit */
  drainTimeoutMs?: number;
}

export interface ExperimentResult {
  summary: RunSummary;
  dir: string;
}

/** Planned length of one run, for the remaining-time estimate (deploy length is a guess until measured). */
export function plannedRunMs(s: Scenario, deploys: number, deployMs = 20_000): number {
  const p = s.phases;
  return (p.warmupSeconds + p.baselineSeconds + p.cooldownSeconds + Math.max(0, deploys - 1) * p.pauseBetweenDeploysSeconds) * 1000
    + deploys * deployMs + 8000;
}

function describeRollout(all: Map<string, RolloutProgress>): string {
  return [...all.values()]
    .map((p) => `${p.deployment} ${p.updated}/${p.replicas} updated, ${p.ready} ready, ${p.oldTerminating} old terminating`)
    .join('; ');
}

/**
 * Without a readiness probe a pod counts as ready before it listens (as in Kubernetes), so the
 * lab waits until GET /fast answers 200 several times in a row on every path before the load
 * starts: the run measures deploys, not the cluster's boot.
 */
async function waitServing(targets: LoadTarget[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const t of targets) {
    const pool = new Pool(t.origin, t.connect ? { connect: t.connect } : {});
    try {
      let streak = 0;
      let last = '';
      while (streak < 5) {
        if (Date.now() > deadline) throw new LabError('LAB_TIMEOUT', `${t.path} path did not answer GET /fast within ${timeoutMs} ms (last: ${last})`);
        try {
          const r = await pool.request({ path: '/fast', method: 'GET', reset: true, headersTimeout: 2000, bodyTimeout: 2000 });
          await r.body.arrayBuffer();
          last = `HTTP ${r.statusCode}`;
          streak = r.statusCode === 200 ? streak + 1 : 0;
        } catch (e) {
          last = String((e as NodeJS.ErrnoException).code ?? e);
          streak = 0;
        }
        await sleep(100);
      }
    } finally {
      await pool.destroy();
    }
  }
}

export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const started = new Date();
  const loadBefore = loadNow();
  const runName = `${stamp(started)}-${o.arm.name}-rep${o.rep}`;
  const dir = join(o.resultsDir, 'runs', runName);
  const scratch = join(o.workDir, runName);
  mkdirSync(scratch, { recursive: true });
  const manifestFile = resolve(REPO_ROOT, 'k8s/rendered', `${o.arm.name}.yaml`);
  const progress = o.progress;
  const ownEvents: TimelineEvent[] = [];
  const phases: PhaseMark[] = [];
  const readySamples: ReadySample[] = [];
  const deployDurationsMs: number[] = [];
  const notes: string[] = [];
  let phase: Phase = 'starting';
  let rollout = '';
  const show = (patch: { phase?: Phase; rollout?: string } = {}) => {
    if (patch.phase) phase = patch.phase;
    if (patch.rollout !== undefined) rollout = patch.rollout;
    progress?.update({
      arm: o.arm.name, rep: o.rep, reps: o.reps, phase, rollout, counts: gen?.counts,
      startedAt: o.invocationStartedAt ?? started.getTime(), etaAt: o.etaAt?.(),
    });
  };
  const enter = (name: Phase) => {
    const now = Date.now();
    const last = phases.at(-1);
    if (last && last.end === 0) last.end = now;
    phases.push({ name, start: now, end: 0 });
    ownEvents.push({ t: now, kind: 'phase', detail: name });
    show({ phase: name });
  };

  let cluster: Target | undefined;
  let gen: LoadGenerator | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let probe: ServingProbe | undefined;
  const teardown = async (abort: boolean) => {
    clearInterval(sampler);
    await probe?.close();
    await gen?.stop(abort ? 0 : undefined);
    await cluster?.close();
  };
  const unregister = onTeardown(() => teardown(true));
  try {
    enter('starting');
    const rolloutState = new Map<string, RolloutProgress>();
    cluster = await startLocalTarget({
      manifestFile, propagationDelayMs: o.propagationDelayMs, runDir: scratch,
      onProgress: (p) => {
        if (phase !== 'deploy') return;
        rolloutState.set(p.deployment, p);
        show({ rollout: describeRollout(rolloutState) });
      },
    });
    const c = cluster;
    notes.push(...c.notes);
    const propagationDelayMs = c.propagationDelayMs ?? o.propagationDelayMs ?? null;
    if (!c.redisUrl) throw new LabError('LAB_UNSUPPORTED_MANIFEST', `${manifestFile} runs no redis Service the lab can reach: the job audit needs it`);
    // The routing view learns of the pods propagationDelayMs after they are ready; load sent before
    // that would measure the cluster's start, not a deploy.
    const viewDeadline = Date.now() + (propagationDelayMs ?? 0) + 15_000;
    while (c.viewSize(SERVING_DEPLOYMENT) < c.readyPods(SERVING_DEPLOYMENT) || c.viewSize(SERVING_DEPLOYMENT) === 0) {
      if (Date.now() > viewDeadline) throw new LabError('LAB_TIMEOUT', `the routing view of Service/${SERVING_DEPLOYMENT} did not list its ready pods within ${viewDeadline - started.getTime()} ms of start`);
      await sleep(50);
    }
    const targets: LoadTarget[] = [
      { path: 'l4', origin: 'http://service', connect: c.l4Connect('service') },
      { path: 'ingress', origin: c.ingressUrl },
    ];
    await waitServing(targets, 30_000);
    const keepAlive = o.keepAlive ?? o.scenario.keepAlive;
    gen = new LoadGenerator({ scenario: o.scenario, rate: o.rate, targets, keepAlive, runId: runName });
    sampler = setInterval(() => {
      readySamples.push({ t: Date.now(), ready: Object.fromEntries(ROLLED_DEPLOYMENTS.map((d) => [d, c.readyPods(d)])) });
    }, 100);
    // Serving = accepts a TCP connection on its own address. The probe's sockets reach the service
    // (5 per second per pod, no request), so they appear in its socket counts, never in the load's.
    probe = new ServingProbe(() => c.podAddresses(SERVING_DEPLOYMENT));
    probe.start();
    const ph = o.scenario.phases;
    let lastShown = 0;
    const ticker = setInterval(() => { if (Date.now() - lastShown > 900) { lastShown = Date.now(); show(); } }, 1000);
    try {
      gen.start();
      enter('warmup');
      await sleep(ph.warmupSeconds * 1000);
      enter('baseline');
      await sleep(ph.baselineSeconds * 1000);
      let windowStart = 0;
      let windowEnd = 0;
      for (let d = 1; d <= o.deploys; d++) {
        enter('deploy');
        ownEvents.push({ t: Date.now(), kind: 'note', detail: `deploy ${d}/${o.deploys}` });
        const t0 = Date.now();
        windowStart ||= t0;
        rolloutState.clear();
        await c.rolloutRestart([...ROLLED_DEPLOYMENTS]);
        windowEnd = Date.now();
        deployDurationsMs.push(windowEnd - t0);
        show({ rollout: `${d}/${o.deploys} done in ${((windowEnd - t0) / 1000).toFixed(1)}s` });
        if (d < o.deploys) {
          enter('pause');
          await sleep(ph.pauseBetweenDeploysSeconds * 1000);
        }
      }
      enter('cooldown');
      await sleep(ph.cooldownSeconds * 1000);
      enter('draining');
      await gen.stop();
      clearInterval(sampler);
      await probe.close();

      // The deploy window: from the first rollout event to the last old pod gone.
      const window = deployWindow(c.events, windowStart, windowEnd);
      const baselinePhase = phases.find((p) => p.name === 'baseline')!;

      enter('audit');
      const queueName = 'jobs';
      const drain = await waitForQueueDrain(c.redisUrl, queueName, o.drainTimeoutMs);
      if (!drain.drained) notes.push(`queue not drained after ${drain.waitedMs} ms: ${drain.pending} jobs still waiting/active/delayed (counted as lost)`);
      const redis = new Redis(c.redisUrl, { maxRetriesPerRequest: 3 });
      let jobs: JobAudit;
      try {
        jobs = await auditJobs(redis, gen.accepted);
      } finally {
        redis.disconnect();
      }
      const genSummary = gen.summary();
      if (genSummary.dropped > 0.01 * (genSummary.sent + genSummary.dropped)) {
        notes.push(`the load generator dropped ${genSummary.dropped} of ${genSummary.sent + genSummary.dropped} arrivals (>1 %): the machine could not keep up`);
      }
      enter('teardown');
      await teardown(false);
      enter('done');
      const events = [...c.events, ...ownEvents].sort((a, b) => a.t - b.t);
      const summary = summarize({
        arm: o.arm.name,
        levers: [...o.arm.levers],
        target: 'local',
        rep: o.rep,
        command: o.command,
        commit: currentCommit(),
        date: started.toISOString(),
        params: {
          rate: o.rate,
          deploys: o.deploys,
          propagationDelayMs,
          keepAlive,
          paths: targets.map((t) => t.path),
          split: 'arrival i goes to paths[i % 2]: half via L4, half via the ingress',
          phases: ph,
          mix: o.scenario.mix.map((m) => `${m.method} ${m.path} ×${m.weight}`),
          timeoutSeconds: o.scenario.timeoutSeconds,
          accounts: o.scenario.accounts,
          manifest: `k8s/rendered/${o.arm.name}.yaml`,
          batch: o.batch,
          sent: genSummary.sent,
          queueDrainMs: drain.waitedMs,
          machine: machineLoad(loadBefore),
        },
        notes,
        records: gen.records,
        dropped: genSummary.dropped,
        events,
        baseline: { start: baselinePhase.start, end: baselinePhase.end },
        window,
        deployDurationsMs,
        readySamples,
        servingSamples: probe.samples,
        servingDeployment: SERVING_DEPLOYMENT,
        jobs,
      });
      await writeRunArtifacts(dir, gen.records, { events, phases, readySamples, servingSamples: probe.samples }, summary, join(scratch, 'pods'));
      return { summary, dir };
    } finally {
      clearInterval(ticker);
    }
  } finally {
    await teardown(true);
    unregister();
  }
}
