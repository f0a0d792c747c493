import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { isLabError, LabError } from '../../../common/errors.js';
import type { RunSummary } from '../../engine/schema.js';
import { currentCommit, REPO_ROOT } from '../../engine/meta.js';
import { onTeardown } from '../../engine/teardown.js';
import { K6_IMAGE, K6_SUMMARY_BEGIN, K6_SUMMARY_END, LABEL_PART_OF, LABEL_RUN } from '../../targets/kind/constants.js';
import { parseK6Summary, toRunSummary } from '../../targets/kind/convert.js';
import type { ContainerExit, Executor, KubeRef } from '../../targets/kind/executor.js';
import { checkLogBudget } from '../../targets/kind/log-budget.js';
import { toLabClock, waitK6Start, type ClockOffset, type K6Start } from '../../targets/kind/k6-start.js';
import { between } from '../../targets/kind/markers.js';
import { parseRequestLines } from '../../targets/kind/requests.js';
import { deployWindow } from '../../report/stats.js';
import { k6Job, planSeconds, type PhasePlan } from '../../targets/kind/objects.js';
import { loadKubeConfig, RealExecutor } from '../../targets/kind/real-executor.js';
import { RecordingExecutor } from '../../targets/kind/recording-executor.js';
import { Timeline } from '../../targets/kind/timeline.js';
import { expectedLatencyS, sizeK6, type K6Sizing } from '../../targets/kind/k6-sizing.js';
import { describeCheck, MIN_ROLLOUT_BUDGET_S, NEEDED, RealClusterAccess, RecordingClusterAccess, rolloutBudgetS, type ClusterAccess, type DeploymentInfo } from './cluster-access.js';
import type { Measurement } from './measurement.js';
import type { CheckOptions } from './options.js';
import { CHECK_PHASES, checkScenario } from './phases.js';

// The cluster mode: an existing Deployment in any kubeconfig context. It changes nothing but the
// N restarts (the annotation `kubectl rollout restart` sets) and its own k6 Job and ConfigMap,
// which are deleted at the end, on error and on Ctrl-C. Every call goes through the kind
// target's Executor, so --dry-run prints the exact sequence and touches nothing. It loads only
// the --url it is given (one path, no ingress of its own).

/** What `check` assumes one request of a user's route takes, beside any ms= wait it asks for (k6 sizing). */
export const CHECK_EXPECTED_LATENCY_S = 0.25;

export interface ClusterDeps { exec: Executor; access: ClusterAccess; out: (line: string) => void; root?: string }

/** The kubeconfig context, or LAB_UNKNOWN_CONTEXT naming the known ones — a dry run checks it too. */
export function clusterDeps(o: CheckOptions, out: (l: string) => void = (l) => process.stdout.write(`${l}\n`)): ClusterDeps {
  let kc;
  try { kc = loadKubeConfig(o.context); } catch (e) {
    if (isLabError(e, 'LAB_BAD_OPTION')) throw new LabError('LAB_UNKNOWN_CONTEXT', e.message.replace(/^LAB_BAD_OPTION: [^:]+: /, ''), { cause: e });
    throw e;
  }
  if (o.dryRun) {
    const rec = new RecordingExecutor();
    return { exec: rec, access: new RecordingClusterAccess(rec.calls), out };
  }
  return { exec: new RealExecutor(kc), access: new RealClusterAccess(kc), out };
}

export function scriptConfigMap(name: string, namespace: string, runId: string, scenario: object, root: string): KubernetesObject {
  const read = (p: string) => readFileSync(join(root, p), 'utf8');
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name, namespace, labels: { [LABEL_PART_OF]: 'deploy-loss-lab', [LABEL_RUN]: runId } },
    data: { 'script.js': read('loadtest/k6/script.js'), 'classify.js': read('loadtest/k6/classify.js'), 'scenario.json': JSON.stringify(scenario) },
  } as KubernetesObject;
}

/** The kind target's k6 Job, moved to the user's namespace and pointed at this run's script ConfigMap. */
export function checkJob(o: CheckOptions, name: string, configMap: string, runId: string, plan: PhasePlan, sizing: K6Sizing = checkSizing(o, plan)): KubernetesObject {
  const job = k6Job({ name, runId, rate: o.rate, keepAlive: true, paths: ['l4'], plan, l4Url: o.url!, ingressUrl: o.url!, ingressHost: null, timeoutSeconds: CHECK_TIMEOUT_S, sizing }) as any;
  job.metadata.namespace = o.namespace;
  for (const v of job.spec.template.spec.volumes) if (v.configMap) v.configMap.name = configMap;
  return job as KubernetesObject;
}

/** k6's request timeout in check (the script's scenario timeout). */
const CHECK_TIMEOUT_S = 10;

/** VUs and memory of check's k6 Job (LAB_K6_TOO_BIG when the rate cannot fit). */
export function checkSizing(o: CheckOptions, plan: PhasePlan): K6Sizing {
  return sizeK6({ rate: o.rate, paths: 1, expectedLatencyS: expectedLatencyS(o.routes, CHECK_EXPECTED_LATENCY_S), timeoutSeconds: CHECK_TIMEOUT_S, plannedSeconds: planSeconds(plan) });
}

async function preflight(d: ClusterDeps, o: CheckOptions): Promise<DeploymentInfo> {
  const ns = o.namespace!;
  const denied: string[] = [];
  for (const c of NEEDED) if (!(await d.access.canI(ns, c))) denied.push(describeCheck(c));
  if (denied.length) throw new LabError('LAB_FORBIDDEN', `in namespace ${ns} (context ${o.context}) you may not: ${denied.join(', ')}; nothing was changed`);
  const dep = await d.access.deployment(ns, o.deployment!);
  if (!dep) throw new LabError('LAB_UNKNOWN_OBJECT', `Deployment ${ns}/${o.deployment} does not exist in context ${o.context}; nothing was changed`);
  return dep;
}

/** The k6 phases of a cluster check: each restart gets the full rollout budget (from the Deployment: rolloutBudgetS). */
export function checkPlan(deploys: number, budgetS: number): PhasePlan {
  return {
    warmupSeconds: CHECK_PHASES.warmupSeconds, baselineSeconds: CHECK_PHASES.baselineSeconds,
    deploySeconds: deploys * budgetS + (deploys - 1) * CHECK_PHASES.pauseBetweenDeploysSeconds, cooldownSeconds: CHECK_PHASES.cooldownSeconds,
  };
}

export async function runClusterCheck(o: CheckOptions, x: { runId: string; say: (l: string) => void }, deps?: ClusterDeps): Promise<Measurement | undefined> {
  const d = deps ?? clusterDeps(o);
  const { exec } = d;
  const ns = o.namespace!;
  const service = new URL(o.url!).hostname.split('.')[0]!;
  // A rate k6 cannot carry within its memory, or whose request lines outgrow the kubelet's log
  // rotation, is refused (exit 2): before any API call with the shortest rollout budget, and again
  // with the Deployment's own once the preflight has read it.
  const refuseUnfit = (plan: PhasePlan) => {
    const sizing = checkSizing(o, plan);
    checkLogBudget({ rate: o.rate, seconds: planSeconds(plan), routeNames: o.routes.map((r) => r.name), paths: ['l4'] }, `--rate ${o.rate} --deploys ${o.deploys}`);
    return sizing;
  };
  refuseUnfit(checkPlan(o.deploys, MIN_ROLLOUT_BUDGET_S));
  const dep = await preflight(d, o);
  const selector = dep.selector;
  const budgetS = rolloutBudgetS(dep);
  const runId = exec.dryRun ? 'check-dryrun' : x.runId;
  const plan = checkPlan(o.deploys, budgetS);
  const sizing = refuseUnfit(plan);
  // every progress line names the context: a restart on the wrong cluster shows at once
  const say = (l: string) => x.say(`check [${o.context}]: ${l}`);
  const scenario = checkScenario(o.routes, o.rate, o.deploys);
  const cmName = `${runId}-k6`;
  const jobName = `${runId}-k6`;
  // Only what this run created is deleted, by uid: a same-named object of another run is left alone.
  const created: KubeRef[] = [];
  const make = async (obj: KubernetesObject) => {
    const uid = await exec.create(obj);
    created.unshift({ apiVersion: obj.apiVersion!, kind: obj.kind!, namespace: ns, name: obj.metadata!.name!, ...(uid ? { uid } : {}) });
  };
  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= (async () => { for (const ref of created) await exec.remove(ref).catch(() => {}); })());
  const unregister = onTeardown(cleanup);
  const timeline = new Timeline(service, o.deployment!);
  const stopWatch = await exec.watch(ns, (r, type, obj, t) => timeline.on(r, type, obj, t));
  const rolled: Rolled = { durations: [], window: { start: 0, end: 0 }, baseline: { start: 0, end: 0 } };
  const k6: K6Seen = { log: '', exit: null };
  try {
    await make(scriptConfigMap(cmName, ns, runId, scenario, d.root ?? REPO_ROOT));
    if (!exec.dryRun) say(`k6 (${K6_IMAGE}) in ${ns} for ${planSeconds(plan)} s against ${o.url} (only this URL is loaded); ${sizing.basis}`);
    const createdAt = Date.now();
    await make(checkJob(o, jobName, cmName, runId, plan, sizing));
    const pod = await exec.waitJobPod(ns, jobName, 300_000);
    const { start, offset } = await waitK6Start(exec, ns, pod, createdAt, 120_000);
    Object.assign(k6, { start, offset });
    // the lab's clock from here on: k6's phases and records are shifted by the estimated offset
    const t0 = start.t0 - offset.ms;
    rolled.baseline = { start: t0 + plan.warmupSeconds * 1000, end: t0 + (plan.warmupSeconds + plan.baselineSeconds) * 1000 };
    await exec.sleep(exec.dryRun ? (plan.warmupSeconds + plan.baselineSeconds) * 1000 : Math.max(0, rolled.baseline.end - Date.now()));
    const firstCallAt = Date.now();
    for (let i = 1; i <= o.deploys; i++) {
      const t = Date.now();
      if (!exec.dryRun) say(`rollout restart ${i}/${o.deploys} of ${ns}/${o.deployment} (waits up to ${budgetS} s: ${dep.replicas} replicas, grace ${dep.graceSeconds} s)`);
      timeline.push({ t, kind: 'rollout-start', deployment: o.deployment, detail: `deploy ${i}/${o.deploys}` });
      await exec.restartDeployment(ns, o.deployment!, exec.dryRun ? `<deploy ${i} time>` : new Date(t).toISOString());
      await exec.waitRolloutComplete(ns, o.deployment!, selector, budgetS * 1000);
      timeline.push({ t: Date.now(), kind: 'rollout-done', deployment: o.deployment, detail: `deploy ${i}/${o.deploys}` });
      rolled.durations.push(Date.now() - t);
      if (i < o.deploys) await exec.sleep(CHECK_PHASES.pauseBetweenDeploysSeconds * 1000);
    }
    rolled.window = deployWindow(timeline.events, firstCallAt, Date.now());
    const left = exec.dryRun ? planSeconds(plan) * 1000 : Math.max(0, t0 + planSeconds(plan) * 1000 - Date.now());
    await exec.waitJobFinished(ns, jobName, left + 200_000);
    // a log that cannot be read (the pod gone) is a missing log: no verdict, not a failed run
    k6.log = await exec.podLog(ns, pod).catch((e: unknown) => { k6.unreadable = (e as Error).message; return ''; });
    k6.exit = await exec.containerExit(ns, pod, 'k6').catch(() => null);
  } finally {
    stopWatch();
    await cleanup();
    unregister();
  }
  if (exec.dryRun) {
    const calls = (exec as RecordingExecutor).calls;
    d.out(`# dry run of check on context ${o.context}: Deployment ${ns}/${o.deployment}, ${o.deploys} restart(s), ${o.rate} req/s to ${o.url}; nothing was executed`);
    for (const [i, c] of calls.entries()) d.out(`${String(i + 1).padStart(3)}  ${c}`);
    return undefined;
  }
  return measurementFrom(o, timeline, service, rolled, k6 as Required<Omit<K6Seen, 'unreadable'>> & K6Seen, [sizing.basis]);
}

interface Interval { start: number; end: number }
interface Rolled { durations: number[]; window: Interval; baseline: Interval }
interface K6Seen { log: string; exit: ContainerExit | null; start?: K6Start; offset?: ClockOffset; unreadable?: string }

function measurementFrom(o: CheckOptions, timeline: Timeline, service: string, rolled: Rolled, k6: Required<Omit<K6Seen, 'unreadable'>> & K6Seen, planNotes: string[]): Measurement {
  const clusterNotes = [...planNotes, ...killNotes(timeline, rolled.window, o.deployment!), deregistrationNote(timeline, rolled.window)];
  const parsed = parseRequestLines(k6.log);
  const text = between(k6.log, K6_SUMMARY_BEGIN, K6_SUMMARY_END);
  const exit = k6.exit ? `exit ${k6.exit.exitCode}${k6.exit.reason ? ` ${k6.exit.reason}` : ''}` : 'exit code unknown';
  // no summary: nothing to check the records against (k6 killed, or the log cut): never a verdict
  if (text === null) {
    const what = k6.unreadable ? `could not be read (${k6.unreadable})` : `(${k6.log.length} bytes, ${parsed.records.length} request lines) has no summary block`;
    throw new LabError('LAB_K6_SUMMARY', `the k6 log ${what}; k6 ${exit}`);
  }
  const records = toLabClock(parsed.records, k6.offset);
  const summary: RunSummary = toRunSummary({
    arm: `check:${o.deployment}`, levers: [], rep: 1, command: '', commit: currentCommit(), date: new Date().toISOString(),
    params: { rate: o.rate, deploys: o.deploys, propagationDelayMs: null, keepAlive: true, paths: ['l4'], k6ClockOffsetMs: k6.offset },
    notes: [...clusterNotes, `clock: the k6 node's clock is ${k6.offset.ms} ± ${k6.offset.uncertaintyMs} ms ahead of the lab's; its records were shifted onto the lab's clock`],
    k6: { start: k6.start, exit: k6.exit, malformed: parsed.malformed, firstMalformed: parsed.firstMalformed },
    summary: parseK6Summary(text), records, baseline: rolled.baseline,
    window: rolled.window, deployDurationsMs: rolled.durations,
    minReadyPods: timeline.minReadyEndpoints(rolled.window.start, rolled.window.end) ?? 0, sigkills: timeline.sigkills(rolled.window, o.deployment!),
    jobs: { accepted: 0, applied: 0, lost: 0, duplicated: 0, unacknowledged: 0, balanceMismatches: 0 },
  });
  return {
    target: 'kind', deployment: o.deployment!, service, records, dropped: summary.droppedIterations, sent: summary.requests,
    timeline: { events: [...timeline.events].sort((a, b) => a.t - b.t), phases: [], readySamples: [] },
    window: rolled.window, baseline: rolled.baseline, deployDurationsMs: rolled.durations, servingSeries: service,
    // Not the time until the endpoint was removed (that is the pod's whole shutdown): the
    // deregistration delay needs the pod's arrivals, which check does not see; doctor gets nothing.
    notes: summary.notes, paths: ['l4'], propagationDelayMs: null, deregistrationMs: [], summary, coverage: summary.coverage!,
  };
}

/**
 * SIGKILLs of the Deployment's own pods in the window, by reason: only the kubelet's kill at the end
 * of the grace period counts as the rollout's; an OOM kill or another kill is named, not counted.
 */
function killNotes(timeline: Timeline, window: Interval, deployment: string): string[] {
  const kills = timeline.killed(window, deployment);
  const by = (r: string) => kills.filter((k) => k.reason === r).map((k) => k.pod);
  const out: string[] = [];
  const grace = by('grace-expired');
  if (grace.length) out.push(`SIGKILL at the end of the grace period (exit 137 after deletion): ${grace.join(', ')}`);
  const oom = by('oom-killed');
  if (oom.length) out.push(`OOMKilled during the rollouts (not counted as the rollout's SIGKILLs): ${oom.join(', ')}`);
  const other = by('killed');
  if (other.length) out.push(`exit 137 without a deletion (a liveness kill or an eviction; not counted): ${other.join(', ')}`);
  return out;
}

/**
 * check sees when each old pod left rotation (its endpoint turned ready=false or terminating, or left
 * the EndpointSlice) but not the last request that reached it: it reads no per-pod record of
 * arrivals. So the deregistration delay is "not measured", and the endpoint's removal — the pod's
 * whole shutdown — is never passed off as it.
 */
function deregistrationNote(timeline: Timeline, window: Interval): string {
  const left = timeline.deregistrations(window).filter((d) => d.toEndpointNotReadyMs !== null || d.toEndpointRemovedMs !== null);
  return `deregistration delay (leaving rotation → last request that reached the pod): not measured — cluster mode reads no record of each pod's arrivals; ${left.length} old pod(s) of the Deployment were seen leaving rotation; doctor sizes preStop from its load-balancer profile instead`;
}
