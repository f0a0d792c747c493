import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadScenario } from '../../../loadtest/scenario.js';
import { DEFAULT_CLIENT } from '../../../loadtest/client-semantics.js';
import { parseOrExit } from '../../engine/args.js';
import { findArm } from '../../engine/arms.js';
import { loadNow, machineLoad } from '../../engine/machine.js';
import { currentCommit, REPO_ROOT, stamp } from '../../engine/meta.js';
import { Progress } from '../../engine/progress.js';
import { runExperiment } from '../../engine/protocol.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import type { Attempt } from '../../targets/local/ingress.js';
import { RACE_TOLERANCE_MS } from '../../targets/local/keepalive-race.js';
import { KEEPALIVE_PROBE_BOUND_MS, probeKeepAlive } from '../../tools/check/keepalive-probe.js';
import { proxyIdleTimeout } from '../../tools/doctor/idle-timeouts.js';
import { readManifest } from '../../targets/local/manifest.js';
import { countRun } from './count.js';
import { KEEPALIVE_USAGE, parseKeepAliveArgs } from './options.js';
import { writeKeepAliveResults, type KeepAliveRun, type KeepAliveSummary } from './report.js';

// `npm run lab -- keepalive`: after-keepalive-5s vs after, each at a low rate and at the default rate,
// in one batch. Before the load, one pod's idle close is measured on the wire (check's probe); during
// it, every try of the ingress proxy is kept with the upstream connection it used, and the lab's event-
// loop delay (the proxy shares that loop, so its lag is part of the race window) is sampled.
// Exit 0 = the batch ran; 1 = a run failed; 2 = bad option.

const ARMS = ['after-keepalive-5s', 'after'] as const;
const say = (line: string) => process.stderr.write(`[keepalive] ${line}\n`);

export async function keepalive(argv: string[]): Promise<number> {
  const o = parseOrExit(argv, KEEPALIVE_USAGE, () => parseKeepAliveArgs(argv));
  if (typeof o === 'number') return o;
  installSignalTeardown(say);
  const base = loadScenario();
  const scenario = { ...base, phases: { ...base.phases, baselineSeconds: o.baselineSeconds, deploys: o.deploys } };
  const rates = [...(o.l4RatePerMin ? [o.l4RatePerMin / 60] : []), o.lowRate, o.rate ?? base.rate];
  const date = new Date();
  const loadBefore = loadNow();
  const commit = currentCommit(); // at the start: a commit made while it runs is not its code
  const command = `npm run lab -- keepalive ${argv.join(' ')}`.trim();
  const batch = `${stamp(date)}-keepalive`;
  // the runs' own artifacts stay in scratch: they are not runs of the headline tables
  const scratch = join(REPO_ROOT, '.lab', 'keepalive', batch);
  const methodOf = new Map(scenario.mix.map((m) => [m.name, m.method]));
  const progress = new Progress();
  const runs: KeepAliveRun[] = [];
  try {
    for (const rate of rates) {
      for (const name of ARMS) {
        const attempts: Array<Attempt & { t: number }> = [];
        const lag = monitorEventLoopDelay({ resolution: 5 });
        let probe: Awaited<ReturnType<typeof probeKeepAlive>> | undefined;
        const { summary, records, events } = await runExperiment({
          arm: findArm(name), rep: 1, reps: 1, rate, deploys: o.deploys, scenario, resultsDir: join(scratch, 'results'), workDir: join(scratch, 'work'),
          command, batch, progress,
          onIngressAttempt: (a) => attempts.push({ ...a, t: Date.now() }),
          beforeLoad: async (c) => {
            const pod = c.podAddresses('service')[0]!;
            probe = await probeKeepAlive({ host: pod.host, port: pod.port, path: '/fast', boundMs: KEEPALIVE_PROBE_BOUND_MS });
            lag.enable();
          },
        });
        lag.disable();
        const closeMs = probe?.connectionClose ? undefined : probe?.closedAfterMs;
        const terminatingAt = new Map<string, number>();
        for (const e of events) if (e.kind === 'pod-terminating' && e.pod && !terminatingAt.has(e.pod)) terminatingAt.set(e.pod, e.t);
        const startedAt = Math.min(...records.map((r) => r.t_sched));
        const counts = countRun({ attempts, records, methodOf, window: summary.window, closeMs, terminatingAt, startedAt });
        const ms = (ns: number) => Math.round(ns / 1e4) / 100;
        const replicas = readManifest(join(REPO_ROOT, 'k8s/rendered', `${name}.yaml`)).deployments.find((d) => d.name === 'service')!.replicas;
        runs.push({
          arm: name, rate, replicas, closeMs, hintS: probe?.hintS, ...counts,
          loopDelayMs: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) },
          windowMs: summary.window.end - summary.window.start, deployDurationMs: summary.deployDurationMs,
        });
        const races = counts.rows.reduce((a, r) => a + r.races, 0);
        const exposed = counts.rows.reduce((a, r) => a + r.exposed, 0);
        const l4 = (counts.l4Rows ?? []).reduce((a, r) => ({ raw: a.raw + r.raw, races: a.races + r.races }), { raw: 0, races: 0 });
        progress.log(`${name} at ${rate}/s: app closes idle connections after ${closeMs ?? `> ${KEEPALIVE_PROBE_BOUND_MS}`} ms; ${exposed} tries reused within ${RACE_TOLERANCE_MS} ms of it, ${races} races; L4: ${l4.raw} raw failures, ${l4.races} on a reused connection before any byte`);
      }
    }
  } finally {
    progress.stop();
  }
  const summary: KeepAliveSummary = {
    experiment: 'keepalive', command, target: 'local', commit, date: date.toISOString(),
    params: {
      arms: [...ARMS], rates, deploys: o.deploys, phases: scenario.phases, mix: scenario.mix.map((m) => `${m.method} ${m.path} ×${m.weight}`),
      toleranceMs: RACE_TOLERANCE_MS, proxy: { id: 'ingress-nginx', idleTimeoutS: proxyIdleTimeout('ingress-nginx')!.seconds },
      runArtifacts: relative(REPO_ROOT, scratch), machine: machineLoad(loadBefore), client: DEFAULT_CLIENT,
    },
    runs,
  };
  const outDir = join(resolve(o.resultsDir ?? join(REPO_ROOT, 'results')), 'keepalive');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const text = writeKeepAliveResults(outDir, summary);
  process.stdout.write(text);
  say(`written to ${relative(process.cwd(), outDir) || outDir}/{summary.json,table.md,table.csv,chart.svg}`);
  return 0;
}
