import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadGenerator, LoadTarget } from '../../../loadtest/generator.js';
import type { MixEntry, Scenario } from '../../../loadtest/scenario.js';
import { CHECK_PHASES, checkScenario } from './phases.js';
import type { PhaseMark, RunTimeline } from '../../engine/artifacts.js';
import type { Progress } from '../../engine/progress.js';
import type { TimelineEvent } from '../../engine/schema.js';
import { onTeardown } from '../../engine/teardown.js';
import type { ReadySample } from '../../report/summarize.js';
import { deployWindow } from '../../report/stats.js';
import { LocalCluster } from '../../targets/local/cluster.js';
import { underWatch } from '../../targets/local/start-failure.js';
import type { ServingCheck } from '../../support/wait-serving.js';
import { ServingProbe } from '../../engine/serving-probe.js';
import { keepAliveProbeNote, type KeepAliveFinding } from './keepalive-probe.js';
import type { Attempt } from '../../targets/local/ingress.js';
import { keepAliveRaces } from '../../targets/local/keepalive-race.js';
import type { LocalPlan } from './local-setup.js';
import { explainStartFailure } from './start-advice.js';
import { localCoverage } from '../../engine/coverage.js';
import type { Measurement } from './measurement.js';

// The local mode's measurement: the user's manifests as processes, the open-model load through
// the Service (and the Ingress when there is one), N rolling restarts of the Deployment, the
// same phases as the lab's own protocol.

/** How long the first route may take to answer through every path once the pods are up. */
const SERVING_TIMEOUT_MS = 30_000;

/** A user's service: the first route answers (any status below 500) — it need not have a /fast. */
const firstRouteAnswers = (r: MixEntry): ServingCheck => ({ method: r.method, path: r.path, body: r.body || null, ok: (s) => s < 500 });

export interface LocalRunInput {
  plan: LocalPlan;
  appDir: string;
  scratch: string;
  routes: MixEntry[];
  rate: number;
  deploys: number;
  propagationDelayMs?: number;
  /** pods without runAsUser run as root (--allow-root-pods) */
  allowRootPods?: boolean;
  runId: string;
  progress: Progress;
}

export async function runLocal(x: LocalRunInput): Promise<Measurement> {
  const scenario = checkScenario(x.routes, x.rate, x.deploys);
  const phases: PhaseMark[] = [];
  const own: TimelineEvent[] = [];
  const readySamples: ReadySample[] = [];
  const startedAt = Date.now();
  const planned = (CHECK_PHASES.warmupSeconds + CHECK_PHASES.baselineSeconds + CHECK_PHASES.cooldownSeconds + x.deploys * 20) * 1000 + 10_000;
  let gen: LoadGenerator | undefined;
  let cluster: LocalCluster | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let probe: ServingProbe | undefined;
  let rollout = '';
  let counts = '';
  let podState = '';
  // the proxy's failed tries (only those: a race is one), stamped, for the keep-alive race count
  const failedTries: Array<Attempt & { t: number }> = [];
  const show = (phase: string) => x.progress.update({ arm: `check ${x.plan.deployment}`, rep: 1, reps: 1, phase, rollout, counts: gen?.counts, startedAt, etaAt: startedAt + planned });
  const enter = (name: string) => {
    const now = Date.now();
    const last = phases.at(-1);
    if (last && last.end === 0) last.end = now;
    phases.push({ name, start: now, end: 0 });
    own.push({ t: now, kind: 'phase', detail: name });
    show(name);
  };
  const teardown = async (abort: boolean) => { clearInterval(sampler); await probe?.close(); await gen?.stop(abort ? 0 : undefined); await cluster?.close(); };
  const unregister = onTeardown(() => teardown(true));
  const explain = (e: unknown) => explainStartFailure(e, { podsDir: join(x.scratch, 'pods'), network: x.plan.podNetwork, appDir: x.appDir, workingDir: x.plan.workingDir });
  const ticker = setInterval(() => show(phases.at(-1)?.name ?? 'starting'), 1000);
  try {
    enter('starting');
    try {
      cluster = await LocalCluster.start({
        manifestFile: x.plan.manifestFile, runDir: x.scratch, appDir: x.appDir, podNetwork: x.plan.podNetwork, allowRootPods: x.allowRootPods,
        ...(x.propagationDelayMs !== undefined ? { propagationDelayMs: x.propagationDelayMs } : {}),
        onProgress: (p) => { counts = `${p.updated}/${p.replicas} updated, ${p.ready} ready, ${p.oldTerminating} old terminating`; rollout = [counts, podState].filter(Boolean).join(' · '); },
        // while it starts, progress names what the pods are doing, not only how many are ready
        onStartState: (d, line) => { if (d === x.plan.deployment) { podState = line; rollout = [counts, podState].filter(Boolean).join(' · '); } },
        onIngressAttempt: (a) => { if (typeof a.outcome === 'string') failedTries.push({ ...a, t: Date.now() }); },
      });
    } catch (e) { throw explain(e); }
    const c = cluster;
    // loaded once the pods run: undici (~100 modules) need not delay the first pod's start
    const [{ LoadGenerator: Generator }, { waitServing }] = await Promise.all([import('../../../loadtest/generator.js'), import('../../support/wait-serving.js')]);
    const targets: LoadTarget[] = [{ path: 'l4', origin: `http://${x.plan.service}`, connect: c.l4Connect(x.plan.service) }];
    if (c.ingressUrl) targets.push({ path: 'ingress', origin: c.ingressUrl });
    // without a readiness probe the pods were Ready before they listened: a crash loop or a wrong port shows up here
    const watch = c.watchStart(x.plan.deployment, Date.now() + SERVING_TIMEOUT_MS);
    await underWatch([watch], waitServing(targets, SERVING_TIMEOUT_MS, firstRouteAnswers(x.routes[0]!))).catch((e: unknown) => { throw explain(e); });
    podState = '';
    // before any load, so the probe's idle connection is not on a pod the rollout replaces
    const keepAlive: KeepAliveFinding | undefined = c.ingressUrl ? await keepAliveProbeNote(c.podAddresses(x.plan.deployment)[0], x.routes) : undefined;
    // a gate fails safe: every failed attempt counts, none is hidden by a client's own resend (the
    // lab's arms default to Go's resends to match k6; check keeps the strict view it always had)
    gen = new Generator({ scenario, rate: x.rate, targets, keepAlive: true, runId: x.runId, client: 'node' });
    const viewName = `${x.plan.service} (routing view)`;
    sampler = setInterval(() => {
      readySamples.push({ t: Date.now(), ready: { [x.plan.deployment]: c.readyPods(x.plan.deployment).length, [viewName]: c.view(x.plan.service).endpoints().length } });
    }, 100);
    // pods that accept a TCP connection on their own address: fewer than Ready when a pod is Ready before it listens
    probe = new ServingProbe(() => c.podAddresses(x.plan.deployment));
    probe.start();
    gen.start();
    // a pod that fails later (on loopback, a replica that lost the race for a wildcard port and crash-loops
    // after the start) gets the same explanation as one that fails at the start
    const window = await drive(c, x, scenario, enter, (s) => { rollout = s; }).catch((e: unknown) => { throw explain(e); });
    enter('draining');
    // arrivals the open model planned from the generator's start to here (arrival 0 is due at once)
    const arrivalsPlanned = Math.floor((x.rate * (Date.now() - gen.startedAt)) / 1000) + 1;
    await gen.stop();
    clearInterval(sampler);
    await probe.close();
    enter('teardown');
    await teardown(false);
    enter('done');
    phases.at(-1)!.end = Date.now();
    const timeline: RunTimeline = { events: [...c.events, ...own].sort((a, b) => a.t - b.t), phases, readySamples, servingSamples: probe.samples };
    const s = gen.summary();
    const coverage = localCoverage({ recorded: gen.records.length, sent: s.sent, dropped: s.dropped, planned: arrivalsPlanned, rate: x.rate });
    return {
      coverage,
      target: 'local', deployment: x.plan.deployment, service: x.plan.service, records: gen.records, dropped: s.dropped, sent: s.sent,
      timeline, window: window.window, baseline: window.baseline, deployDurationsMs: window.durations,
      servingSeries: x.plan.deployment, notes: [...c.notes, ...x.plan.notes, ...(keepAlive?.note ? [keepAlive.note] : [])],
      ...(keepAlive ? { keepAliveRaces: keepAliveRaces(failedTries, keepAlive.closeMs, window.window) } : {}),
      paths: targets.map((t) => t.path), propagationDelayMs: c.propagationDelayMs, isolation: c.isolation.mode, podNetwork: c.podNetwork,
    };
  } finally {
    clearInterval(ticker);
    await teardown(true);
    unregister();
    x.progress.stop();
  }
}

/** warm-up → baseline → N × (rollout restart, pause) → cool-down; returns the deploy window. */
async function drive(c: LocalCluster, x: LocalRunInput, scenario: Scenario, enter: (p: string) => void, said: (s: string) => void) {
  const ph = scenario.phases;
  enter('warmup');
  await sleep(ph.warmupSeconds * 1000);
  enter('baseline');
  const baselineStart = Date.now();
  await sleep(ph.baselineSeconds * 1000);
  const baseline = { start: baselineStart, end: Date.now() };
  const durations: number[] = [];
  let start = 0;
  let end = 0;
  for (let d = 1; d <= x.deploys; d++) {
    enter(`deploy ${d}/${x.deploys}`);
    const t0 = Date.now();
    start ||= t0;
    await c.rolloutRestart([x.plan.deployment]);
    end = Date.now();
    durations.push(end - t0);
    said(`${d}/${x.deploys} done in ${((end - t0) / 1000).toFixed(1)}s`);
    if (d < x.deploys) { enter('pause'); await sleep(ph.pauseBetweenDeploysSeconds * 1000); }
  }
  enter('cooldown');
  await sleep(ph.cooldownSeconds * 1000);
  return { window: deployWindow(c.events, start, end), baseline, durations };
}
