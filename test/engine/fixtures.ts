import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyCounts } from '../../loadtest/classes.js';
import type { RunSummary } from '../../lab/engine/schema.js';

/** A stored summary as a real run writes it; only the fields a test varies are passed. */
export function fakeSummary(arm: string, rep: number, over: { http_502?: number; refused?: number; reset?: number; lost?: number; dup?: number; levers?: string[]; batch?: string; sigkills?: number; command?: string } = {}): RunSummary {
  const windowCounts = { ...emptyCounts(), ok: 1000, http_502: over.http_502 ?? 0, refused: over.refused ?? 0, reset: over.reset ?? 0 };
  const failed = windowCounts.http_502 + windowCounts.refused + windowCounts.reset;
  return {
    arm, levers: over.levers ?? [], target: 'local', rep, command: over.command ?? `npm run lab -- ${arm}`, commit: 'abc123', date: `2026-11-21T12:0${rep}:00.000Z`,
    params: { rate: 200, deploys: 3, propagationDelayMs: 1000, keepAlive: true, paths: ['l4', 'ingress'], batch: over.batch ?? 'b1' },
    notes: [], requests: 5000, droppedIterations: 0, window: { start: 0, end: 1 }, windowCounts,
    totalCounts: { ...windowCounts, ok: 4000 }, windowErrorRate: failed / (1000 + failed), p99SteadyMs: 1010, p99RollMs: 2000,
    deployDurationMs: 12_000, minReadyPods: 2, sigkills: over.sigkills ?? 0,
    jobs: { accepted: 400, applied: 400 - (over.lost ?? 0), lost: over.lost ?? 0, duplicated: over.dup ?? 0, unacknowledged: 0, balanceMismatches: 0 },
  };
}

export function storeRun(resultsDir: string, name: string, s: RunSummary): void {
  const dir = join(resultsDir, 'runs', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(s));
}
