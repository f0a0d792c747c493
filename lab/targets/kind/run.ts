import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../../../common/errors.js';
import { loadScenario, type Scenario } from '../../../loadtest/scenario.js';
import { findArm, type Arm } from '../../engine/arms.js';
import { checkRange, LAB_OPTIONS } from '../../engine/args.js';
import { currentCommit, REPO_ROOT, stamp } from '../../engine/meta.js';
import { onTeardown } from '../../engine/teardown.js';
import type { JobAudit, RunSummary } from '../../engine/schema.js';
import {
  AUDIT_BEGIN, AUDIT_END, INGRESS_NGINX_VERSION, INGRESS_URL_DEFAULT, K6_IMAGE, K6_SUMMARY_BEGIN, K6_SUMMARY_END, K6_T0_MARKER,
  INGRESS_NAMESPACE, INGRESS_SELECTOR, KIND_CONTEXT, L4_URL_DEFAULT, NAMESPACE, ROLLED,
  ENVOY_GATEWAY_NAME, ENVOY_GATEWAY_VERSION, ENVOY_NAMESPACE, ENVOY_SERVICE_SELECTOR,
} from './constants.js';
import { toRunSummary, parseK6Summary } from './convert.js';
import { parseRequestLines } from './requests.js';
import { parseAcceptedJobs } from './accepted.js';
import { checkLogBudget } from './log-budget.js';
import { toLabClock, waitK6Start, type ClockOffset, type K6Start } from './k6-start.js';
import type { ContainerExit } from './executor.js';
import { deployWindow, median } from '../../report/stats.js';
import type { Executor } from './executor.js';
import { buildAndLoad, imageTag } from './image.js';
import { loadArmManifest, loadL7Objects, type ArmManifest } from './manifest.js';
import { DEFAULT_L7, isGatewayApi, L7_PROFILES, type L7Name } from '../local/l7-profile.js';
import { between, splitTimestamp } from './markers.js';
import { auditJob, auditorRbac, k6ConfigMap, k6Job, planSeconds, type PhasePlan } from './objects.js';
import { expectedLatencyS, sizeK6, type K6Sizing } from './k6-sizing.js';
import { loadKubeConfig, RealExecutor } from './real-executor.js';
import { RecordingExecutor } from './recording-executor.js';
import { Timeline } from './timeline.js';

// The kind target (or any kubeconfig context): the experiment protocol of lab/engine/protocol.ts on a
// real cluster. One repetition: apply the arm → reset the ledger → watch + follow service logs →
// k6 Job → N rollouts in the k6 deploy phase → k6 summary → in-cluster ledger audit → RunSummary.

export interface KindOptions {
  arm: string;
  reps: number;
  rate: number;
  deploys: number;
  dryRun: boolean;
  context?: string;
  /** Parent of the per-run directories (default results/runs); each run writes <stamp>-<arm>-kind-rep<N>/. */
  runDir?: string;
  /** The invocation's start (ISO), shared by every run it makes: the report keeps all repetitions of one batch. */
  batch?: string;
  /** The command as the user typed it (`npm run lab -- …`); default this process's argv. */
  command?: string;
  /** The L7 path: ingress-nginx (the arm's Ingress) or envoy-gateway (Gateway + HTTPRoute, k8s/rendered-l7/). */
  l7?: L7Name;
}

/** Where to find the repo and the rendered manifests, and where a dry run prints (tests override these). */
export interface KindDeps {
  root?: string;
  renderedDir?: string;
  out?: (line: string) => void;
  env?: Record<string, string | undefined>;
  /** The dry run's recorder (tests read its calls, e.g. to prove bad input recorded none). */
  recorder?: RecordingExecutor;
}

const PATHS = ['l4', 'ingress'];

/** The lab CLI's ranges (lab/engine/args.ts), for callers that reach runKind without the CLI. */
function validate(o: KindOptions): void {
  for (const name of ['reps', 'rate', 'deploys'] as const) checkRange(`--${name}`, o[name], LAB_OPTIONS[name].min, LAB_OPTIONS[name].max);
  if (o.l7 !== undefined && !L7_PROFILES.includes(o.l7)) throw new LabError('LAB_BAD_OPTION', `--l7 must be one of ${L7_PROFILES.join(', ')}, got "${o.l7}"`);
}

function envSeconds(env: Record<string, string | undefined>, name: string, def: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new LabError('LAB_BAD_ENV', `${name}="${raw}": expected whole seconds 1..3600`);
  return n;
}

/**
 * The scenario's fixed phases around the rollouts. LAB_KIND_SHORT_PHASES=1 shortens them for the
 * lab's own tests against a stub API server, which assert what a run records and cleans up, not
 * what its baseline measures; every run records the plan it used (params.phasePlanSeconds).
 */
function kindPhases(scenario: Scenario, env: Record<string, string | undefined>): Scenario['phases'] {
  return env.LAB_KIND_SHORT_PHASES === '1'
    ? { ...scenario.phases, warmupSeconds: 1, baselineSeconds: 2, pauseBetweenDeploysSeconds: 1, cooldownSeconds: 1 }
    : scenario.phases;
}

/**
 * Planned length of one kind run: the k6 schedule (each rollout gets its full budget, since k6's
 * deploy phase is fixed) plus about a minute of applies, pod starts and the two ledger Jobs.
 */
export function kindPlannedRunMs(scenario: Scenario, deploys: number, env: Record<string, string | undefined> = process.env): number {
  const p = kindPhases(scenario, env);
  const budgetS = envSeconds(env, 'LAB_KIND_ROLLOUT_BUDGET_S', 60);
  return (p.warmupSeconds + p.baselineSeconds + deploys * budgetS + (deploys - 1) * p.pauseBetweenDeploysSeconds + p.cooldownSeconds) * 1000 + 60_000;
}

interface Context {
  exec: Executor;
  arm: Arm;
  o: KindOptions;
  root: string;
  manifest: ArmManifest;
  scenario: Scenario;
  plan: PhasePlan;
  /** k6's VUs and memory for this plan */
  sizing: K6Sizing;
  rolloutBudgetS: number;
  image: string;
  context: string;
  /** '' until the Envoy Service of the Gateway is found (envoy-gateway path, first repetition) */
  ingressUrl: string;
  l7: L7Name;
  /** one per invocation: every repetition and arm of it carries the same batch and command */
  batch: string;
  command: string;
  /** false = the no-reuse variant: k6 opens a new connection per request (noConnectionReuse). */
  keepAlive: boolean;
  say: (line: string) => void;
}

/** Runs an arm on the cluster; with dryRun, prints every command and API call instead and returns []. */
export async function runKind(o: KindOptions, deps: KindDeps = {}): Promise<RunSummary[]> {
  if (o.dryRun) {
    const lines = await planKind(o, deps);
    const out = deps.out ?? ((l: string) => process.stdout.write(`${l}\n`));
    for (const l of lines) out(l);
    return [];
  }
  validate(o);
  const env = deps.env ?? process.env;
  const context = o.context ?? (env.KUBE_CONTEXT || KIND_CONTEXT);
  const exec = new RealExecutor(loadKubeConfig(context));
  return orchestrate(exec, o, deps, context);
}

/** The dry run: the ordered list of commands and API calls a run would make; touches nothing. */
export async function planKind(o: KindOptions, deps: KindDeps = {}): Promise<string[]> {
  validate(o);
  const env = deps.env ?? process.env;
  const context = o.context ?? (env.KUBE_CONTEXT || KIND_CONTEXT);
  const rec = deps.recorder ?? new RecordingExecutor();
  await orchestrate(rec, o, deps, context);
  return [`# dry run of the kind target: arm ${o.arm}, context ${context}, ${o.reps} rep(s), ${o.deploys} deploy(s), rate ${o.rate}/s; nothing was executed`, ...rec.calls.map((c, i) => `${String(i + 1).padStart(3)}  ${c}`)];
}

async function orchestrate(exec: Executor, o: KindOptions, deps: KindDeps, context: string): Promise<RunSummary[]> {
  const env = deps.env ?? process.env;
  const arm = findArm(o.arm);
  const root = deps.root ?? REPO_ROOT;
  const loaded = loadScenario(join(root, 'loadtest/scenario.json'));
  const scenario = { ...loaded, phases: kindPhases(loaded, env) };
  const isKind = context === KIND_CONTEXT;
  const tag = imageTag(root);
  const registry = env.LAB_REGISTRY;
  // Resolve the image reference up front so a missing manifest fails before a long build.
  const image = isKind || !registry ? tag : `${registry.replace(/\/+$/, '')}/${tag}`;
  const rendered = deps.renderedDir ?? join(root, 'k8s/rendered');
  const manifest = loadArmManifest(rendered, arm.name, image);
  const l7 = o.l7 ?? DEFAULT_L7;
  if (l7 !== 'ingress-nginx') {
    // the same arm, routed by a Gateway + HTTPRoute instead of its Ingress (k8s/components/gateway-api)
    manifest.objects = [...manifest.objects.filter((x) => x.kind !== 'Ingress'), ...loadL7Objects(join(rendered, '..', 'rendered-l7'), l7)];
    manifest.ingressHost = null;
  }
  const rolloutBudgetS = envSeconds(env, 'LAB_KIND_ROLLOUT_BUDGET_S', 60);
  const ph = scenario.phases;
  const plan: PhasePlan = {
    warmupSeconds: ph.warmupSeconds,
    baselineSeconds: ph.baselineSeconds,
    deploySeconds: o.deploys * rolloutBudgetS + (o.deploys - 1) * ph.pauseBetweenDeploysSeconds,
    cooldownSeconds: ph.cooldownSeconds,
  };
  // the context on every line: a run on the wrong cluster shows it at once
  // before anything is built or applied: a plan k6 cannot run within its memory is refused
  const sizing = sizeK6({ rate: o.rate, paths: PATHS.length, expectedLatencyS: expectedLatencyS(scenario.mix), timeoutSeconds: scenario.timeoutSeconds, plannedSeconds: planSeconds(plan) });
  checkLogBudget({
    rate: o.rate, seconds: planSeconds(plan), routeNames: scenario.mix.map((m) => m.name), paths: PATHS,
    jobFraction: scenario.mix.filter((m) => m.method === 'POST').reduce((a, m) => a + m.weight, 0) / scenario.mix.reduce((a, m) => a + m.weight, 0), jobLineBytes: 100,
  }, `--rate ${o.rate} --deploys ${o.deploys}`);
  const say = exec.dryRun ? () => {} : (l: string) => process.stderr.write(`[kind ${context}] ${l}\n`);
  say(`image ${image} (content hash of Dockerfile, lock file and sources)`);
  const built = await buildAndLoad(exec, root, tag, { kind: isKind, registry });
  const ingressUrl = env.LAB_INGRESS_URL || (l7 === 'ingress-nginx' ? INGRESS_URL_DEFAULT : '');
  const keepAlive = env.LAB_KEEPALIVE === undefined || env.LAB_KEEPALIVE === '' ? scenario.keepAlive : env.LAB_KEEPALIVE !== 'false';
  const batch = o.batch ?? new Date().toISOString();
  const command = o.command ?? ['node', ...process.argv.slice(1)].join(' ');
  const ctx: Context = { exec, arm, o, root, manifest, scenario, plan, sizing, rolloutBudgetS, image: built, context, ingressUrl, l7, keepAlive, batch, command, say };
  const out: RunSummary[] = [];
  for (let rep = 1; rep <= o.reps; rep++) {
    const s = await runRep(ctx, rep);
    if (s) out.push(s);
  }
  return out;
}

/** Runs a ledger Job (reset or audit) to completion and returns the JSON it printed between markers. */
async function ledgerJob(c: Context, job: ReturnType<typeof auditJob>): Promise<any> {
  const name = job.metadata!.name!;
  await c.exec.create(job);
  const pod = await c.exec.waitJobPod(NAMESPACE, name, 180_000);
  const outcome = await c.exec.waitJobFinished(NAMESPACE, name, 180_000);
  const log = await c.exec.podLog(NAMESPACE, pod);
  await c.exec.remove({ apiVersion: 'batch/v1', kind: 'Job', namespace: NAMESPACE, name });
  if (c.exec.dryRun) return null;
  const text = between(log, AUDIT_BEGIN, AUDIT_END);
  if (outcome !== 'succeeded' || text === null) throw new LabError('LAB_K8S_API', `ledger Job ${name} ${outcome}; log tail: ${log.slice(-1500)}`);
  return JSON.parse(text);
}

/** Applies the arm, waits until it is available, and empties the ledger. */
async function prepareRep(c: Context, runId: string): Promise<void> {
  c.say(`${runId}: applying ${c.manifest.file}${c.l7 === 'ingress-nginx' ? '' : ` routed by ${c.l7}`}`);
  for (const obj of c.manifest.objects) await c.exec.apply(obj);
  // an Ingress an ingress-nginx run left behind would be a second L7 path to the same pods
  if (c.l7 !== 'ingress-nginx') await c.exec.remove({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: NAMESPACE, name: 'service' });
  await c.exec.waitDeploymentsAvailable(NAMESPACE, c.manifest.deployments, 300_000);
  if (isGatewayApi(c.l7)) {
    // Load only once the Gateway is Programmed (Envoy Gateway pushed its config) and its Envoy pods
    // are Ready: a Service that exists may still route nowhere, and that would count as loss.
    await c.exec.waitGatewayReady(NAMESPACE, ENVOY_GATEWAY_NAME, ENVOY_NAMESPACE, ENVOY_SERVICE_SELECTOR, 180_000);
    // Envoy Gateway names the Gateway's Envoy Service itself; k6 sends the L7 half to it in-cluster.
    c.ingressUrl ||= `http://${await c.exec.waitServiceName(ENVOY_NAMESPACE, ENVOY_SERVICE_SELECTOR, 180_000)}.${ENVOY_NAMESPACE}.svc.cluster.local`;
  }
  for (const obj of auditorRbac()) await c.exec.apply(obj);
  await c.exec.apply(k6ConfigMap(c.root));
  await ledgerJob(c, auditJob({ name: `ledger-reset-${runId}`, runId, image: c.image, mode: 'reset' }));
}

/** Watches the namespace and follows the service and ingress logs into a Timeline (and pod logs into runDir). */
async function followCluster(c: Context, runDir: string | undefined): Promise<{ timeline: Timeline; stop: () => void }> {
  const timeline = new Timeline('service');
  const logs = new Map<string, WriteStream>();
  const stopWatch = await c.exec.watch(NAMESPACE, (r, type, obj, t) => timeline.on(r, type, obj, t));
  const stopLogs = await c.exec.followLogs(NAMESPACE, c.manifest.selectors.service ?? 'app=service', (pod, line) => {
    const { t, text } = splitTimestamp(line);
    timeline.onLogLine(pod, t, text);
    if (!runDir) return;
    let w = logs.get(pod);
    if (!w) logs.set(pod, (w = createWriteStream(join(runDir, 'pods', `${pod}.log`))));
    w.write(`${line}\n`);
  });
  // The service logs no requests; ingress-nginx's access log says which pod answered each one.
  // (Envoy's access log has another format: on that path the last request per pod is not measured.)
  const stopIngressLogs = c.l7 !== 'ingress-nginx' ? () => {} : await c.exec.followLogs(INGRESS_NAMESPACE, INGRESS_SELECTOR, (_pod, line) => {
    const { t, text } = splitTimestamp(line);
    timeline.onIngressLogLine(t, text);
  });
  return {
    timeline,
    stop: () => { stopWatch(); stopLogs(); stopIngressLogs(); for (const w of logs.values()) w.end(); },
  };
}

interface Rollouts { firstCallAt: number; lastDoneAt: number; durationsMs: number[] }

/** o.deploys rollouts of the rolled Deployments, each awaited until complete, with pauses between. */
async function rollAll(c: Context, runId: string, timeline: Timeline): Promise<Rollouts> {
  const { exec, o } = c;
  const r: Rollouts = { firstCallAt: 0, lastDoneAt: 0, durationsMs: [] };
  const rolled = ROLLED.filter((d) => c.manifest.deployments.includes(d));
  for (let d = 1; d <= o.deploys; d++) {
    const t = Date.now();
    r.firstCallAt ||= t;
    c.say(`${runId}: rollout ${d}/${o.deploys} of ${rolled.join(', ')}`);
    timeline.push({ t, kind: 'rollout-start', detail: `deploy ${d}/${o.deploys}` });
    const at = exec.dryRun ? `<deploy ${d} time>` : new Date(t).toISOString();
    for (const dep of rolled) await exec.restartDeployment(NAMESPACE, dep, at);
    for (const dep of rolled) await exec.waitRolloutComplete(NAMESPACE, dep, c.manifest.selectors[dep]!, c.rolloutBudgetS * 3000);
    const done = Date.now();
    timeline.push({ t: done, kind: 'rollout-done', detail: `deploy ${d}/${o.deploys}` });
    r.durationsMs.push(done - t);
    if (d < o.deploys) await exec.sleep(c.scenario.phases.pauseBetweenDeploysSeconds * 1000);
  }
  r.lastDoneAt = Date.now();
  return r;
}

interface K6Run {
  log: string; baseline: { start: number; end: number }; deployPhase: { start: number; end: number }; rollouts: Rollouts;
  start: K6Start; offset: ClockOffset; exit: ContainerExit | null;
}

/** Starts the k6 Job, rolls the arm in its deploy phase, waits for k6 to end and returns its log. */
async function loadAndRoll(c: Context, runId: string, k6Name: string, timeline: Timeline, notes: string[]): Promise<K6Run> {
  const { exec, plan, o } = c;
  c.say(`${runId}: starting k6 (${K6_IMAGE}) for ${planSeconds(plan)} s`);
  const createdAt = Date.now();
  await exec.create(k6Job({
    name: k6Name, runId, rate: o.rate, keepAlive: c.keepAlive, paths: PATHS, plan,
    l4Url: L4_URL_DEFAULT, ingressUrl: c.ingressUrl, ingressHost: c.manifest.ingressHost,
    timeoutSeconds: c.scenario.timeoutSeconds, sizing: c.sizing,
  }));
  notes.push(c.sizing.basis);
  const k6Pod = await exec.waitJobPod(NAMESPACE, k6Name, 300_000);
  // k6's clock → the lab's: the phases and records are on the k6 node's clock, the rollouts on the lab's
  const { start, offset } = await waitK6Start(exec, NAMESPACE, k6Pod, createdAt, 120_000);
  const t0 = start.t0 - offset.ms;
  const deployStart = t0 + (plan.warmupSeconds + plan.baselineSeconds) * 1000;
  const deployEnd = deployStart + plan.deploySeconds * 1000;
  // Dry run: the planned wait, so the printed plan does not depend on the clock.
  await exec.sleep(exec.dryRun ? (plan.warmupSeconds + plan.baselineSeconds) * 1000 : Math.max(0, deployStart - Date.now()));
  const rollouts = await rollAll(c, runId, timeline);
  if (!exec.dryRun && rollouts.lastDoneAt > deployEnd) {
    notes.push(`rollouts ended ${Math.round((rollouts.lastDoneAt - deployEnd) / 1000)} s after the k6 deploy phase: the window still covers them, but the load's cool-down ran at the same time; raise LAB_KIND_ROLLOUT_BUDGET_S (now ${c.rolloutBudgetS})`);
  }
  const remainingMs = exec.dryRun ? planSeconds(plan) * 1000 : Math.max(0, t0 + planSeconds(plan) * 1000 - Date.now());
  const outcome = await exec.waitJobFinished(NAMESPACE, k6Name, remainingMs + (c.scenario.timeoutSeconds + 180) * 1000);
  if (outcome === 'failed') notes.push('k6 exited non-zero (99 = a threshold was crossed, expected for arms that lose requests)');
  return {
    log: await exec.podLog(NAMESPACE, k6Pod), rollouts, start, offset, exit: await exec.containerExit(NAMESPACE, k6Pod, 'k6'),
    baseline: { start: t0 + plan.warmupSeconds * 1000, end: deployStart }, deployPhase: { start: deployStart, end: deployEnd },
  };
}

async function runRep(c: Context, rep: number): Promise<RunSummary | null> {
  const { exec, o } = c;
  const started = new Date();
  const runId = `${c.arm.name}-r${rep}-${exec.dryRun ? 'dryrun' : started.getTime().toString(36)}`;
  // The directory name the lab CLI expects (lab/cli.ts keeps a summary.json found there).
  const runDir = exec.dryRun ? undefined : join(o.runDir ?? join(c.root, 'results', 'runs'), `${stamp(started)}-${c.arm.name}-kind-rep${rep}`);
  if (runDir) mkdirSync(join(runDir, 'pods'), { recursive: true });
  const notes: string[] = [];
  await prepareRep(c, runId);
  const follow = await followCluster(c, runDir);
  const k6Name = `k6-${runId}`;
  const k6Ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: NAMESPACE, name: k6Name };
  // A run that dies half-way must not leave k6 loading the cluster (Ctrl-C through the teardown too).
  // The hook stays until the audit has read the k6 log: a Ctrl-C during the audit still deletes the k6 Job.
  const unregister = onTeardown(() => exec.remove(k6Ref));
  let k6: K6Run;
  let audit: any;
  try {
    try {
      k6 = await loadAndRoll(c, runId, k6Name, follow.timeline, notes);
    } finally {
      follow.stop();
    }
    audit = await ledgerJob(c, auditJob({ name: `ledger-audit-${runId}`, runId, image: c.image, mode: 'audit', k6Job: k6Name }));
  } finally {
    unregister();
    await exec.remove(k6Ref).catch((e) => { notes.push(`deleting the k6 Job failed: ${(e as Error).message}`); });
  }
  if (exec.dryRun) return null;
  if (runDir) {
    writeFileSync(join(runDir, 'k6.log'), k6.log);
    writeFileSync(join(runDir, 'timeline.json'), JSON.stringify(follow.timeline.events, null, 1));
    writeFileSync(join(runDir, 'audit.json'), JSON.stringify(audit, null, 2));
  }
  const result = summarizeRep(c, { rep, started, timeline: follow.timeline, k6, audit, notes });
  if (runDir) writeFileSync(join(runDir, 'summary.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

interface RepOutcome { rep: number; started: Date; timeline: Timeline; k6: K6Run; audit: any; notes: string[] }

/** The RunSummary of one repetition: the k6 log's records over the measured window, the audit, the deregistration delays. */
function summarizeRep(c: Context, x: RepOutcome): RunSummary {
  const { o, plan } = c;
  const { timeline, k6, audit, notes } = x;
  const summary = parseK6Summary(between(k6.log, K6_SUMMARY_BEGIN, K6_SUMMARY_END));
  if (audit?.malformedLines > 0) notes.push(`${audit.malformedLines} malformed LAB_JOB lines in the k6 log`);
  if (audit?.jobLines && !audit.jobLines.complete) notes.push(`the ledger audit read ${audit.jobLines.lines} LAB_JOB lines for the ${audit.jobLines.k6Accepted ?? 'unknown number of'} jobs k6 saw accepted: jobs lost is a lower bound`);
  if (audit?.drain && !audit.drain.drained) notes.push(`queue not drained after ${audit.drain.waitedMs} ms: ${audit.drain.pending} jobs pending (counted as lost)`);
  const window = deployWindow(timeline.events, k6.rollouts.firstCallAt, k6.rollouts.lastDoneAt);
  // Only terminations that start inside this run's deploy window are this run's: a pod of the
  // previous arm still in its grace period when the run began is not.
  const deregistration = timeline.deregistrations(window);
  if (c.l7 !== 'ingress-nginx') notes.push(`L7 path ${c.l7}: the last request each old pod served is not measured (only ingress-nginx's access log is read)`);
  else if (deregistration.length > 0 && deregistration.every((d) => d.toLastRequestMs === null)) {
    notes.push('no ingress-nginx access-log line named an old pod, so the last request each served was not measured');
  }
  const med = (k: 'toEndpointNotReadyMs' | 'toEndpointRemovedMs' | 'toLastRequestMs') => {
    const xs = deregistration.map((d) => d[k]).filter((v): v is number => v !== null);
    return xs.length ? median(xs) : null;
  };
  const parsed = parseRequestLines(k6.log);
  const jobLines = parseAcceptedJobs(k6.log);
  const result = toRunSummary({
    arm: c.arm.name, levers: [...c.arm.levers], rep: x.rep, command: c.command,
    commit: currentCommit(), date: x.started.toISOString(),
    params: {
      rate: o.rate,
      deploys: o.deploys,
      propagationDelayMs: null,
      keepAlive: c.keepAlive,
      paths: PATHS,
      split: 'one constant-arrival-rate k6 scenario per path, rate/2 each',
      context: c.context,
      image: c.image,
      k6Image: K6_IMAGE,
      l7: c.l7,
      ...(c.l7 === 'ingress-nginx' ? { ingressNginx: INGRESS_NGINX_VERSION } : { envoyGateway: ENVOY_GATEWAY_VERSION }),
      manifest: `k8s/rendered/${c.arm.name}.yaml`,
      batch: c.batch,
      phasePlanSeconds: plan,
      rolloutBudgetSeconds: c.rolloutBudgetS,
      timeoutSeconds: c.scenario.timeoutSeconds,
      window: 'measured: first rollout call → last rollout complete (lab/report/stats.ts deployWindow), inside the k6 deploy phase',
      k6DeployPhase: k6.deployPhase,
      k6ClockOffsetMs: k6.offset,
      deregistrationMedianMs: { toEndpointNotReady: med('toEndpointNotReadyMs'), toEndpointRemoved: med('toEndpointRemovedMs'), toLastRequest: med('toLastRequestMs') },
      deregistration,
    },
    notes,
    summary,
    records: toLabClock(parsed.records, k6.offset),
    k6: { start: k6.start, exit: k6.exit, malformed: parsed.malformed, firstMalformed: parsed.firstMalformed, jobLines: { logged: jobLines.accepted.length, malformed: jobLines.malformed } },
    baseline: k6.baseline,
    window,
    deployDurationsMs: k6.rollouts.durationsMs,
    minReadyPods: timeline.minReadyEndpoints(window.start, window.end) ?? 0,
    sigkills: timeline.sigkills(window),
    jobs: audit.audit as JobAudit,
  });
  // the lab's shared measurement, from the service pods' own arrivals lines (lab/engine/deregistration.ts)
  result.deregistration = timeline.deregistrationReport();
  return result;
}
