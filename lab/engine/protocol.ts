import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { LabError } from '../../common/errors.js';
import { LoadGenerator, type LoadTarget } from '../../loadtest/generator.js';
import type { ClientName } from '../../loadtest/client-semantics.js';
import { clientCounts } from '../report/client-counts.js';
import type { Scenario } from '../../loadtest/scenario.js';
import type { RequestRecord } from '../../loadtest/records.js';
import type { Attempt } from '../targets/local/ingress.js';
import { auditJobs } from '../support/ledger-audit.js';
import { waitForQueueDrain } from '../support/queue-drain.js';
import type { Arm } from './arms.js';
import { Progress } from './progress.js';
import { startLocalTarget, type RolloutProgress, type Target } from './target.js';
import { writeRunArtifacts } from './artifacts.js';
import { RunRecorder } from './run-recorder.js';
import { loadNow, machineLoad } from './machine.js';
import { ServingProbe, type ServingSample } from './serving-probe.js';
import { currentCommit, REPO_ROOT, stamp } from './meta.js';
import { onTeardown } from './teardown.js';
import { waitServing } from '../support/wait-serving.js';
import { deregistrationFromPodLogs } from './pod-arrivals.js';
import type { JobAudit, RunSummary, TimelineEvent } from './schema.js';
import { DEFAULT_L7, type L7Name } from '../targets/local/l7-profile.js';
import { summarize } from '../report/summarize.js';
import { deployWindow } from '../report/stats.js';

// The experiment protocol (docs/architecture.md, "Experiment engine"), identical for every arm:
// warm-up → steady baseline → N rolling restarts under the same open-model load → cool-down → job audit.

export const ROLLED_DEPLOYMENTS = ['service', 'worker'] as const;
export const SERVING_DEPLOYMENT = 'service';
export { PHASES, type Phase } from './run-recorder.js';

export interface ExperimentOptions {
  arm: Arm;
  rep: number;
  reps: number;
  rate: number;
  deploys: number;
  propagationDelayMs?: number;
  /** the L7 path's implementation (default ingress-nginx) */
  l7?: L7Name;
  scenario: Scenario;
  keepAlive?: boolean;
  /** whose resend rules the generator follows (loadtest/client-semantics.ts; default go, as k6) */
  client?: ClientName;
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
  /** a variant of the arm's manifest (e.g. tune's preStop overrides); default k8s/rendered/<arm>.yaml */
  manifestFile?: string;
  /** every try of the L7 proxy (the keepalive experiment reads which upstream connection each used) */
  onIngressAttempt?: (a: Attempt) => void;
  /** runs once the pods serve, before the load starts (the keepalive experiment probes a pod's idle close) */
  beforeLoad?: (c: Target) => Promise<void>;
}

export interface ExperimentResult {
  summary: RunSummary;
  dir: string;
  records: RequestRecord[];
  /** the run's timeline events (rollout, pods, routing view), in order */
  events: TimelineEvent[];
}

function describeRollout(all: Map<string, RolloutProgress>): string {
  return [...all.values()]
    .map((p) => `${p.deployment} ${p.updated}/${p.replicas} updated, ${p.ready} ready, ${p.oldTerminating} old terminating`)
    .join('; ');
}

/** The arm's cluster, with the rollout's progress shown while a deploy runs. */
async function startArm(o: ExperimentOptions, scratch: string, rec: RunRecorder): Promise<Target> {
  const manifestFile = o.manifestFile ?? resolve(REPO_ROOT, 'k8s/rendered', `${o.arm.name}.yaml`);
  const rolloutState = new Map<string, RolloutProgress>();
  const c = await startLocalTarget({
    manifestFile, propagationDelayMs: o.propagationDelayMs, runDir: scratch, l7: o.l7 ?? DEFAULT_L7, onIngressAttempt: o.onIngressAttempt,
    onProgress: (p) => {
      if (rec.phase !== 'deploy') return rolloutState.clear();
      rolloutState.set(p.deployment, p);
      rec.show({ rollout: describeRollout(rolloutState) });
    },
  });
  rec.notes.push(...c.notes);
  if (!c.redisUrl) throw new LabError('LAB_UNSUPPORTED_MANIFEST', `${manifestFile} runs no redis Service the lab can reach: the job audit needs it`);
  return c;
}

/** Waits until the routing view lists every ready pod and both paths answer; returns the load targets. */
async function readyForLoad(c: Target, propagationDelayMs: number | null, startedAt: number): Promise<LoadTarget[]> {
  // The routing view learns of the pods propagationDelayMs after they are ready; load sent before
  // that would measure the cluster's start, not a deploy.
  const viewDeadline = Date.now() + (propagationDelayMs ?? 0) + 15_000;
  while (c.viewSize(SERVING_DEPLOYMENT) < c.readyPods(SERVING_DEPLOYMENT) || c.viewSize(SERVING_DEPLOYMENT) === 0) {
    if (Date.now() > viewDeadline) throw new LabError('LAB_TIMEOUT', `the routing view of Service/${SERVING_DEPLOYMENT} did not list its ready pods within ${viewDeadline - startedAt} ms of start`);
    await sleep(50);
  }
  const targets: LoadTarget[] = [
    { path: 'l4', origin: 'http://service', connect: c.l4Connect('service') },
    { path: 'ingress', origin: c.ingressUrl },
  ];
  await waitServing(targets, 30_000);
  return targets;
}

interface Deploys {
  /** when the first rollout was called and the last one returned (the deploy window's bounds) */
  firstCallAt: number;
  lastDoneAt: number;
  durationsMs: number[];
}

/** warm-up → baseline → N × (rolloutRestart, pause) → cool-down, under the running load. */
async function drivePhases(o: ExperimentOptions, c: Target, rec: RunRecorder): Promise<Deploys> {
  const ph = o.scenario.phases;
  const d: Deploys = { firstCallAt: 0, lastDoneAt: 0, durationsMs: [] };
  rec.enter('warmup');
  await sleep(ph.warmupSeconds * 1000);
  rec.enter('baseline');
  await sleep(ph.baselineSeconds * 1000);
  for (let n = 1; n <= o.deploys; n++) {
    rec.enter('deploy');
    rec.events.push({ t: Date.now(), kind: 'note', detail: `deploy ${n}/${o.deploys}` });
    const t0 = Date.now();
    d.firstCallAt ||= t0;
    await c.rolloutRestart([...ROLLED_DEPLOYMENTS]);
    d.lastDoneAt = Date.now();
    d.durationsMs.push(d.lastDoneAt - t0);
    rec.show({ rollout: `${n}/${o.deploys} done in ${((d.lastDoneAt - t0) / 1000).toFixed(1)}s` });
    if (n < o.deploys) {
      rec.enter('pause');
      await sleep(ph.pauseBetweenDeploysSeconds * 1000);
    }
  }
  rec.enter('cooldown');
  await sleep(ph.cooldownSeconds * 1000);
  return d;
}

/** "Jobs lost" as lab/report/stats.ts defines it: wait for the queue to drain, then audit the ledger. */
async function auditAfterDrain(c: Target, gen: LoadGenerator, rec: RunRecorder, timeoutMs?: number): Promise<{ jobs: JobAudit; drainMs: number }> {
  const drain = await waitForQueueDrain(c.redisUrl, 'jobs', timeoutMs);
  if (!drain.drained) rec.notes.push(`queue not drained after ${drain.waitedMs} ms: ${drain.pending} jobs still pending (counted as lost)`);
  const redis = new Redis(c.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    return { jobs: await auditJobs(redis, gen.accepted), drainMs: drain.waitedMs };
  } finally {
    redis.disconnect();
  }
}

interface Measured {
  c: Target;
  gen: LoadGenerator;
  targets: LoadTarget[];
  deploys: Deploys;
  jobs: JobAudit;
  drainMs: number;
  serving: ServingSample[];
  loadBefore: number[];
}

function buildSummary(o: ExperimentOptions, started: Date, rec: RunRecorder, m: Measured): RunSummary {
  const genSummary = m.gen.summary();
  if (genSummary.dropped > 0.01 * (genSummary.sent + genSummary.dropped)) {
    rec.notes.push(`the load generator dropped ${genSummary.dropped} of ${genSummary.sent + genSummary.dropped} arrivals (>1 %): the machine could not keep up`);
  }
  const events = [...m.c.events, ...rec.events].sort((a, b) => a.t - b.t);
  return summarize({
    arm: o.arm.name, levers: [...o.arm.levers], target: 'local', rep: o.rep, command: o.command, commit: currentCommit(), date: started.toISOString(),
    params: {
      rate: o.rate,
      deploys: o.deploys,
      propagationDelayMs: m.c.propagationDelayMs ?? o.propagationDelayMs ?? null,
      keepAlive: o.keepAlive ?? o.scenario.keepAlive,
      paths: m.targets.map((t) => t.path),
      split: 'arrival i goes to paths[i % 2]: half via L4, half via the ingress',
      phases: o.scenario.phases,
      mix: o.scenario.mix.map((x) => `${x.method} ${x.path} ×${x.weight}`),
      timeoutSeconds: o.scenario.timeoutSeconds,
      accounts: o.scenario.accounts,
      manifest: o.manifestFile ? relative(REPO_ROOT, o.manifestFile) : `k8s/rendered/${o.arm.name}.yaml`,
      l7: o.l7 ?? DEFAULT_L7,
      batch: o.batch,
      sent: genSummary.sent,
      queueDrainMs: m.drainMs,
      machine: machineLoad(m.loadBefore),
    },
    notes: rec.notes,
    records: m.gen.records,
    dropped: genSummary.dropped,
    events,
    baseline: rec.phaseInterval('baseline'),
    window: deployWindow(m.c.events, m.deploys.firstCallAt, m.deploys.lastDoneAt),
    deployDurationsMs: m.deploys.durationsMs,
    readySamples: rec.readySamples,
    servingSamples: m.serving,
    servingDeployment: SERVING_DEPLOYMENT,
    jobs: m.jobs,
  });
}

export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const started = new Date();
  const loadBefore = loadNow();
  const runName = `${stamp(started)}-${o.arm.name}-rep${o.rep}`;
  const scratch = join(o.workDir, runName);
  mkdirSync(scratch, { recursive: true });
  const rec = new RunRecorder({ arm: o.arm.name, rep: o.rep, reps: o.reps, progress: o.progress, startedAt: o.invocationStartedAt ?? started.getTime(), etaAt: o.etaAt });
  let cluster: Target | undefined;
  let gen: LoadGenerator | undefined;
  const timers: NodeJS.Timeout[] = [];
  let probe: ServingProbe | undefined;
  const teardown = async (abort: boolean) => {
    for (const t of timers) clearInterval(t);
    await probe?.close();
    await gen?.stop(abort ? 0 : undefined);
    await cluster?.close();
  };
  const unregister = onTeardown(() => teardown(true));
  try {
    rec.enter('starting');
    const c = (cluster = await startArm(o, scratch, rec));
    const targets = await readyForLoad(c, c.propagationDelayMs ?? o.propagationDelayMs ?? null, started.getTime());
    await o.beforeLoad?.(c);
    const g = (gen = new LoadGenerator({ scenario: o.scenario, rate: o.rate, targets, keepAlive: o.keepAlive ?? o.scenario.keepAlive, runId: runName, client: o.client }));
    rec.countFrom(() => g.counts);
    timers.push(setInterval(() => rec.readySamples.push({ t: Date.now(), ready: Object.fromEntries(ROLLED_DEPLOYMENTS.map((d) => [d, c.readyPods(d)])) }), 100));
    timers.push(setInterval(() => rec.show(), 1000));
    // Serving = accepts a TCP connection on its own address. The probe's sockets reach the service
    // (5 per second per pod, no request), so they appear in its socket counts, never in the load's.
    const p = (probe = new ServingProbe(() => c.podAddresses(SERVING_DEPLOYMENT)));
    p.start();
    g.start();
    const deploys = await drivePhases(o, c, rec);
    rec.enter('draining');
    await g.stop();
    for (const t of timers) clearInterval(t);
    await p.close();
    rec.enter('audit');
    const { jobs, drainMs } = await auditAfterDrain(c, g, rec, o.drainTimeoutMs);
    rec.enter('teardown');
    await teardown(false);
    rec.enter('done');
    const summary = buildSummary(o, started, rec, { c, gen: g, targets, deploys, jobs, drainMs, serving: p.samples, loadBefore });
    summary.client = clientCounts(g.client, g.records, summary.window);
    summary.deregistration = deregistrationFromPodLogs(summaryEvents(c, rec), join(scratch, 'pods'), SERVING_DEPLOYMENT, c.ingressSourceAddress);
    const dir = join(o.resultsDir, 'runs', runName);
    const timeline = { events: summaryEvents(c, rec), phases: rec.phases, readySamples: rec.readySamples, servingSamples: p.samples };
    await writeRunArtifacts(dir, g.records, timeline, summary, join(scratch, 'pods'));
    return { summary, dir, records: g.records, events: timeline.events };
  } finally {
    await teardown(true);
    unregister();
  }
}

const summaryEvents = (c: Target, rec: RunRecorder): TimelineEvent[] => [...c.events, ...rec.events].sort((a, b) => a.t - b.t);
