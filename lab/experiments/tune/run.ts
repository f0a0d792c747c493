import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RequestRecord } from '../../../loadtest/records.js';
import type { Scenario } from '../../../loadtest/scenario.js';
import type { Arm } from '../../engine/arms.js';
import { runExperiment } from '../../engine/protocol.js';
import type { Progress } from '../../engine/progress.js';
import type { RunSummary } from '../../engine/schema.js';
import { failures } from '../../report/summarize.js';
import { renderedArm, writeVariant, type ServiceTiming } from './variant.js';

// One run of the experiment protocol on a variant of the arm (or the arm as rendered).

export interface RunContext {
  arm: Arm;
  rate: number;
  scenario: Scenario;
  resultsDir: string;
  workDir: string;
  command: string;
  batch: string;
  progress: Progress;
  startedAt: number;
  /** estimated end of the whole tune, for the progress line */
  etaAt: () => number;
}

export interface VariantRun {
  label: string;
  propagationDelayMs: number;
  /** null: the arm as rendered (the guessed constants) */
  timing: ServiceTiming | null;
  summary: RunSummary;
  dir: string;
  failed: number;
  rolloutMs: number;
  records: RequestRecord[];
}

function readRecords(dir: string): RequestRecord[] {
  const text = gunzipSync(readFileSync(join(dir, 'requests.jsonl.gz'))).toString('utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestRecord);
}

export async function runVariant(ctx: RunContext, label: string, timing: ServiceTiming | null, propagationDelayMs: number): Promise<VariantRun> {
  // the guessed-constant run is the arm exactly as rendered
  const manifestFile = timing ? writeVariant(renderedArm(ctx.arm.name), timing, join(ctx.resultsDir, 'manifests', `${label}.yaml`), label) : renderedArm(ctx.arm.name);
  const { summary, dir } = await runExperiment({
    arm: { name: label, levers: ctx.arm.levers, title: `${ctx.arm.name}: ${label}` },
    rep: 1, reps: 1, rate: ctx.rate, deploys: 1, propagationDelayMs, scenario: ctx.scenario,
    // a recommendation must hold for clients that never resend: count every failed attempt
    client: 'node',
    resultsDir: ctx.resultsDir, workDir: ctx.workDir, command: ctx.command, batch: ctx.batch,
    progress: ctx.progress, invocationStartedAt: ctx.startedAt, etaAt: ctx.etaAt,
    manifestFile,
  });
  const failed = failures(summary.totalCounts);
  ctx.progress.log(`${label}: ${failed} failed, rollout ${(summary.deployDurationMs / 1000).toFixed(1)} s, deregistration p99 ${summary.deregistration?.routed?.p99Ms ?? 'not measurable'} ms → ${dir}`);
  return { label, propagationDelayMs, timing, summary, dir, failed, rolloutMs: summary.deployDurationMs, records: readRecords(dir) };
}
