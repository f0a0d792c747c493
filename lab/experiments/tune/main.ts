import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { isLabError } from '../../../common/errors.js';
import { parseOrExit } from '../../engine/args.js';
import { loadScenario, type Scenario } from '../../../loadtest/scenario.js';
import { currentCommit, REPO_ROOT } from '../../engine/meta.js';
import { resultsHome, scratchHome, userPath } from '../../engine/home.js';
import { Progress } from '../../engine/progress.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import { writeComponent } from './component.js';
import { generousPreStopSeconds, parseTuneOptions, TUNE_USAGE, type TuneOptions } from './options.js';
import { recommend, type Recommendation } from './recommend.js';
import { sweepCsv, sweepMarkdown, sweepSvg, type Sweep } from './report.js';
import { runVariant, type RunContext, type VariantRun } from './run.js';
import { armTiming, renderedArm, type ArmTiming } from './variant.js';

// `npm run lab -- tune`: measure the deregistration delay with a generous preStop, recommend
// preStop / drain deadline / grace period from it, verify with a `tuned` run next to the arm's
// guessed constants, and sweep preStop at two propagation delays. Exit 0 done; 1 a run failed or
// nothing was measurable; 2 bad options; 3 the tuned run lost requests (results still written).

const say = (line: string) => process.stderr.write(`${line}\n`);

function shortScenario(o: TuneOptions): Scenario {
  const s = loadScenario();
  return { ...s, phases: { ...s.phases, warmupSeconds: o.phaseSeconds, baselineSeconds: o.phaseSeconds, cooldownSeconds: o.phaseSeconds, deploys: 1 } };
}

const runInfo = (r: VariantRun) => ({
  label: r.label, dir: relative(REPO_ROOT, r.dir), propagationDelayMs: r.propagationDelayMs, timing: r.timing,
  failed: r.failed, rolloutMs: r.rolloutMs, deregistration: r.summary.deregistration ? { ...r.summary.deregistration, pods: undefined } : null,
});

async function measure(ctx: RunContext, o: TuneOptions, arm: ArmTiming, delayMs: number): Promise<{ run: VariantRun; rec: Recommendation }> {
  const pre = generousPreStopSeconds(o, delayMs);
  // the measuring run must not be cut by its own grace period: room for the generous preStop
  const timing = { preStopSeconds: pre, shutdownDeadlineMs: arm.shutdownDeadlineMs, terminationGracePeriodSeconds: pre + Math.ceil(arm.shutdownDeadlineMs / 1000) + 4 };
  const run = await runVariant(ctx, `tune-measure-p${delayMs}`, timing, delayMs);
  return { run, rec: recommend(run.summary.deregistration, run.records, arm) };
}

async function sweep(ctx: RunContext, o: TuneOptions, rec: Recommendation, delayMs: number): Promise<Sweep> {
  const steps: Sweep['steps'] = [];
  for (const multiple of o.sweep) {
    const requestedMs = Math.round(multiple * rec.deregistrationDelayP99Ms);
    const preStopSeconds = Math.ceil(requestedMs / 1000);
    // only preStop varies; the grace period grows with it so SIGKILL never decides a step
    const timing = { preStopSeconds, shutdownDeadlineMs: rec.shutdownDeadlineMs, terminationGracePeriodSeconds: preStopSeconds + Math.ceil(rec.shutdownDeadlineMs / 1000) + rec.marginSeconds };
    const run = await runVariant(ctx, `sweep-p${delayMs}-x${multiple}`, timing, delayMs);
    steps.push({ propagationDelayMs: delayMs, multiple, requestedMs, preStopSeconds, run });
  }
  return { propagationDelayMs: delayMs, p99Ms: rec.deregistrationDelayP99Ms, recommendedPreStopSeconds: rec.preStopSeconds, steps };
}

function context(o: TuneOptions, argv: string[], out: string, runs: number): RunContext & { done: () => void } {
  const startedAt = Date.now();
  const durations: number[] = [];
  let last = startedAt;
  const ctx = {
    arm: o.arm, rate: o.rate, scenario: shortScenario(o), resultsDir: out, workDir: join(scratchHome(), 'tune'),
    command: `npm run lab -- tune${argv.length ? ` ${argv.join(' ')}` : ''}`, batch: new Date(startedAt).toISOString(),
    progress: new Progress(), startedAt,
    etaAt: () => {
      const avg = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : 35_000;
      return last + (runs - durations.length) * avg;
    },
    done: () => { durations.push(Date.now() - last); last = Date.now(); },
  };
  return ctx;
}

export async function tune(argv: string[]): Promise<number> {
  const o = parseOrExit(argv, TUNE_USAGE, () => parseTuneOptions(argv));
  if (typeof o === 'number') return o;
  const out = o.out === undefined ? join(resultsHome(), 'tune') : userPath(o.out);
  mkdirSync(out, { recursive: true });
  const arm = armTiming(renderedArm(o.arm.name));
  const second = o.secondPropagationDelayMs > 0 && o.secondPropagationDelayMs !== o.propagationDelayMs;
  const plannedRuns = 3 + o.sweep.length + (second ? 1 + o.sweep.length : 0);
  const ctx = context(o, argv, out, plannedRuns);
  const wrap = async <T>(p: Promise<T>) => { const v = await p; ctx.done(); return v; };
  const meta = { command: ctx.command, target: 'local', commit: currentCommit(), date: new Date().toISOString(), node: process.version, cores: cpus().length, loadavgBefore: loadavg() };
  say(`${ctx.command}: ${plannedRuns} runs of ${o.arm.name} variants at ${o.rate} req/s, 1 deploy each, phases ${o.phaseSeconds} s; load ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${meta.cores} cores`);
  installSignalTeardown(say);
  try {
    return await tuneRuns(o, ctx, wrap, arm, second, out, meta);
  } catch (err) {
    if (isLabError(err, 'LAB_NOT_MEASURABLE')) { say(`${err.message}\nno recommendation written: the deregistration delay is not measurable from this run`); return 1; }
    throw err;
  } finally {
    ctx.progress.stop();
  }
}

async function tuneRuns(o: TuneOptions, ctx: RunContext, wrap: <T>(p: Promise<T>) => Promise<T>, arm: ArmTiming, second: boolean, out: string, meta: Record<string, unknown>): Promise<number> {
  const d1 = o.propagationDelayMs;
  const m1 = await wrap(measure(ctx, o, arm, d1));
  const rec = m1.rec;
  for (const line of rec.reasoning) say(`  ${line}`);
  const component = writeComponent(join(out, 'kustomize'), rec, `${relative(REPO_ROOT, m1.run.dir)} (propagation delay ${d1} ms)`);
  const tuned = await wrap(runVariant(ctx, `tuned-p${d1}`, { preStopSeconds: rec.preStopSeconds, shutdownDeadlineMs: rec.shutdownDeadlineMs, terminationGracePeriodSeconds: rec.terminationGracePeriodSeconds }, d1));
  const guessed = await wrap(runVariant(ctx, `guessed-p${d1}`, null, d1));
  const sweeps = [await sweep(ctx, o, rec, d1)];
  let m2: { run: VariantRun; rec: Recommendation } | undefined;
  if (second) {
    m2 = await wrap(measure(ctx, o, arm, o.secondPropagationDelayMs));
    sweeps.push(await sweep(ctx, o, m2.rec, o.secondPropagationDelayMs));
  }
  const verification = {
    tuned: runInfo(tuned), guessed: { ...runInfo(guessed), timing: { preStopSeconds: arm.preStopSeconds, shutdownDeadlineMs: arm.shutdownDeadlineMs, terminationGracePeriodSeconds: arm.terminationGracePeriodSeconds } },
    passed: tuned.failed === 0,
  };
  const record = {
    deregistrationDelayP99Ms: rec.deregistrationDelayP99Ms, preStopSeconds: rec.preStopSeconds, drainDeadlineSeconds: rec.drainDeadlineSeconds,
    terminationGracePeriodSeconds: rec.terminationGracePeriodSeconds, shutdownDeadlineMs: rec.shutdownDeadlineMs, marginSeconds: rec.marginSeconds,
    propagationDelayMs: d1, arm: o.arm.name, reasoning: rec.reasoning, longestRequestClass: rec.longest, routes: rec.routes,
    measuredBy: runInfo(m1.run), component: component.map((f) => relative(REPO_ROOT, f)), verification,
    secondPropagationDelay: m2 ? { propagationDelayMs: o.secondPropagationDelayMs, deregistrationDelayP99Ms: m2.rec.deregistrationDelayP99Ms, preStopSeconds: m2.rec.preStopSeconds, terminationGracePeriodSeconds: m2.rec.terminationGracePeriodSeconds, reasoning: m2.rec.reasoning, measuredBy: runInfo(m2.run) } : null,
    sweeps: sweeps.map((s) => ({ propagationDelayMs: s.propagationDelayMs, p99Ms: s.p99Ms, recommendedPreStopSeconds: s.recommendedPreStopSeconds, steps: s.steps.map((st) => ({ multiple: st.multiple, requestedMs: st.requestedMs, preStopSeconds: st.preStopSeconds, failed: st.run.failed, rolloutMs: st.run.rolloutMs, dir: relative(REPO_ROOT, st.run.dir) })) })),
    ...meta, loadavgAfter: loadavg(), params: { rate: o.rate, phaseSeconds: o.phaseSeconds, deploysPerRun: 1, sweep: o.sweep, generousPreStopSeconds: o.generousPreStopSeconds || 'auto' },
  };
  writeFileSync(join(out, 'recommendation.json'), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(join(out, 'sweep.md'), `# How long should preStop be?\n\nGenerated by \`${ctx.command}\` at commit ${String(meta.commit).slice(0, 12)} on ${meta.date}.\n\n${sweepMarkdown(sweeps)}`);
  writeFileSync(join(out, 'sweep.csv'), sweepCsv(sweeps));
  writeFileSync(join(out, 'sweep.svg'), sweepSvg(sweeps, `${o.arm.name} variants, local target, ${o.rate} req/s, 1 deploy per step · commit ${String(meta.commit).slice(0, 12)} · ${String(meta.date).slice(0, 10)}`));
  const verdict = `tuned (preStop ${rec.preStopSeconds} s, grace ${rec.terminationGracePeriodSeconds} s): ${tuned.failed} failed, rollout ${(tuned.rolloutMs / 1000).toFixed(1)} s; `
    + `guessed constants (preStop ${arm.preStopSeconds} s, grace ${arm.terminationGracePeriodSeconds} s): ${guessed.failed} failed, rollout ${(guessed.rolloutMs / 1000).toFixed(1)} s`;
  writeFileSync(join(out, 'recommendation.md'), `# Recommendation\n\nGenerated by \`${ctx.command}\` at commit ${String(meta.commit).slice(0, 12)} on ${meta.date} (Node ${meta.node}, ${meta.cores} cores, load before ${(meta.loadavgBefore as number[]).map((x) => x.toFixed(2)).join(' ')}, after ${record.loadavgAfter.map((x) => x.toFixed(2)).join(' ')}).\n\n${rec.reasoning.map((l) => `- ${l}`).join('\n')}\n\nVerification: ${verdict}.\n\nCopy [kustomize/](kustomize/) as a component; the sweep: [sweep.md](sweep.md), [sweep.svg](sweep.svg).\n`);
  process.stdout.write(`${rec.reasoning.join('\n')}\n${verdict}\n${sweepMarkdown(sweeps)}written to ${relative(REPO_ROOT, out)}/{recommendation.json,recommendation.md,sweep.md,sweep.csv,sweep.svg,kustomize/}\n`);
  return verification.passed ? 0 : 3;
}
