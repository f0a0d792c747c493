import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { isLabError } from '../../../common/errors.js';
import { parseOrExit } from '../../engine/args.js';
import { currentCommit, stamp } from '../../engine/meta.js';
import { inCallerHome, resultsHome, scratchHome, shownPath } from '../../engine/home.js';
import { Progress } from '../../engine/progress.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import { planLocal } from './local-setup.js';
import type { Measurement } from './measurement.js';
import { CHECK_MODES, CHECK_USAGE, parseCheckOptions, type CheckOptions } from './options.js';
import { VERDICT_EXIT, VERDICTS } from './verdicts.js';
import { CHECK_PHASES } from './phases.js';

// `npm run lab -- check …`: does *this* Deployment lose requests when it rolls? Exit 0 PASS (within
// --max-failed, on records that cover what was sent), 1 FAIL or the run failed, 2 bad input
// (nothing started), 3 INCONCLUSIVE (the records do not cover what was sent; never a pass).

const say = (line: string) => process.stderr.write(`${line}\n`);

async function measure(o: CheckOptions, started: Date): Promise<{ m: Measurement; manifestPaths: string[] } | undefined> {
  // unique per run, not per second: two checks started together must not share (or delete) objects
  const runId = `check-${started.getTime().toString(36)}-${randomBytes(4).toString('hex')}`;
  if (o.mode === CHECK_MODES.Cluster) {
    // the Kubernetes client is ~1,900 modules: the local mode must not wait for it to load
    const { runClusterCheck } = await import('./run-cluster.js');
    const m = await runClusterCheck(o, { runId, say });
    return m ? { m, manifestPaths: o.manifests ? [o.manifests] : [] } : undefined;
  }
  // the run id's random tail too: two local checks started in the same second (the lab's tests run
  // them side by side) would otherwise share one pods/ folder and one manifest.yaml
  const scratch = join(scratchHome(), 'check', `${stamp(started)}-${o.deployment ?? 'app'}-${runId.slice(-8)}`);
  // the local cluster's modules load while the plan waits for the pod user's access probe
  const local = import('./run-local.js');
  local.catch(() => undefined); // a plan refused first is the error said; this one is awaited below
  const plan = await planLocal({ manifests: o.manifests!, appDir: o.appDir!, deployment: o.deployment, env: o.env, podNetwork: o.podNetwork, allowRootPods: o.allowRootPods }, scratch);
  say(`check: Deployment/${plan.deployment} (pod network: ${plan.podNetwork}) from ${plan.files.map(shownPath).join(', ')}; load through Service/${plan.service}; pod scratch in ${shownPath(scratch)}`);
  const { runLocal } = await local;
  const m = await runLocal({ plan, appDir: o.appDir!, scratch, routes: o.routes, rate: o.rate, deploys: o.deploys, propagationDelayMs: o.propagationDelayMs, allowRootPods: o.allowRootPods, runId, progress: new Progress() });
  return { m, manifestPaths: [o.manifests!] };
}

export async function check(argv: string[]): Promise<number> {
  const o = parseOrExit(argv, CHECK_USAGE, () => parseCheckOptions(argv));
  if (typeof o === 'number') return o;
  installSignalTeardown(say);
  const started = new Date();
  const loadavgBefore = loadavg();
  let result: Awaited<ReturnType<typeof measure>>;
  try { result = await measure(o, started); } catch (e) {
    if (!isLabError(e)) throw e;
    say(e.message);
    // k6 ran but its log holds no summary to check the records against: no verdict can rest on it
    if (e.code === 'LAB_K6_SUMMARY') {
      process.stdout.write(`VERDICT: ${VERDICTS.Inconclusive}: ${e.message}\n`);
      return VERDICT_EXIT.INCONCLUSIVE;
    }
    // the app or the run failed (1), not the input (2); an image pull fails after the Job was created
    return ['LAB_TIMEOUT', 'LAB_PORT_TAKEN', 'LAB_K8S_API', 'LAB_CLUSTER_CLOSED', 'LAB_POD_CRASHLOOP', 'LAB_POD_NEVER_READY', 'LAB_IMAGE_PULL'].includes(e.code) ? 1 : 2;
  }
  if (!result) return 0; // dry run: every API call was printed
  const { m, manifestPaths } = result;
  const deploymentName = m.deployment;
  // the report's modules (SVG, evidence, gzip) load only now: the pods need not wait for them
  const [{ buildSummary }, { verdictOf, writeCheckResults }] = await Promise.all([import('./measurement.js'), import('./report.js')]);
  const summary = buildSummary(m, {
    arm: `check:${deploymentName}`, levers: [], rep: 1,
    command: [inCallerHome() ? 'deploy-loss-lab' : 'node dist/lab/cli.js', 'check', ...argv].join(' '),
    commit: currentCommit(), date: started.toISOString(),
    params: {
      rate: o.rate, deploys: o.deploys, phases: CHECK_PHASES, propagationDelayMs: m.propagationDelayMs, keepAlive: true, paths: m.paths,
      mix: o.routes.map((r) => `${r.method} ${r.path}${r.body ? ' (body)' : ''} ×${r.weight}`), deployment: deploymentName, service: m.service,
      manifests: manifestPaths.map(shownPath), ...(o.appDir ? { appDir: shownPath(o.appDir) } : {}),
      ...(o.context ? { context: o.context, namespace: o.namespace, url: o.url } : {}), isolation: m.isolation ?? null, podNetwork: m.podNetwork ?? null, sent: m.sent,
    },
  });
  const dockerfile = o.appDir && existsSync(join(o.appDir, 'Dockerfile')) ? join(o.appDir, 'Dockerfile') : undefined;
  const dereg = summary.params.deregistrationMedianMs as number | null;
  // doctor sizes preStop against the deregistration delay this run measured (or modeled, locally)
  // doctor's rules load only now: the pods need not wait for them
  const { doctorFindings } = await import('./doctor-adapter.js');
  const doctor = await doctorFindings(manifestPaths, { ...(dockerfile ? { dockerfile } : {}), ...(dereg ? { deregistrationS: Math.max(1, Math.round(dereg / 1000)) } : {}) });
  const verdict = verdictOf(summary, o.maxFailed);
  const out = o.out ?? join(resultsHome(), 'check', deploymentName);
  const text = await writeCheckResults(out, { summary, m, doctor, verdict, machine: { node: process.version, cores: cpus().length, loadavgBefore, loadavgAfter: loadavg() } });
  process.stdout.write(`${text}\nwritten to ${shownPath(out)}/{table.md,summary.json,evidence.json,timeline.svg,events.json,requests.jsonl.gz}\n${verdict.line}\n`);
  return VERDICT_EXIT[verdict.kind];
}
