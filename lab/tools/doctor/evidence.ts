import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../engine/meta.js';
import type { RunSummary } from '../../engine/schema.js';
import { latestByArm, loadRuns, type StoredRun } from '../../report/load.js';
import { median } from '../../report/stats.js';
import { DEFAULT_PROPAGATION_DELAY_MS } from '../../targets/local/cluster.js';

// The lab's own measured numbers, read from the committed results at run time so a new run never
// leaves a finding's "why" stale. Missing results degrade to a link, never to a made-up number.

export interface Deregistration { seconds: number; from: string }

export const RECOMMENDATION = 'results/tune/recommendation.json';

/** --deregistration-s default: the tuned p99 when results/tune/recommendation.json exists, else the local target's modelled delay. */
export function defaultDeregistration(root: string = REPO_ROOT): Deregistration {
  const file = join(root, RECOMMENDATION);
  if (existsSync(file)) {
    try {
      const ms = (JSON.parse(readFileSync(file, 'utf8')) as { deregistrationDelayP99Ms?: unknown }).deregistrationDelayP99Ms;
      if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return { seconds: ms / 1000, from: `deregistrationDelayP99Ms of ${RECOMMENDATION}` };
    } catch {
      // an unreadable recommendation falls back like a missing one; the source line says which was used
    }
  }
  return { seconds: DEFAULT_PROPAGATION_DELAY_MS / 1000, from: `the local target's modelled propagation delay, as no ${RECOMMENDATION} exists` };
}

export type Metric = [label: string, pick: (s: RunSummary) => number];

export class Evidence {
  private runs: Map<string, StoredRun[]> | undefined;

  constructor(readonly root: string = REPO_ROOT) {}

  private latest(arm: string): StoredRun[] {
    this.runs ??= latestByArm(loadRuns(join(this.root, 'results')), ['before', 'after', 'ladder', 'leave-one-out']);
    return this.runs.get(`${arm}|local`) ?? this.runs.get(`${arm}|kind`) ?? [];
  }

  /** "the lab's `arm` arm measured 15 SIGKILLs and 46 resets (results/runs/…/summary.json)", or a pointer to the table. */
  cite(arm: string, metrics: Metric[], fallback = 'results/README.md'): string {
    const runs = this.latest(arm);
    if (!runs.length) return `the lab measures this in its \`${arm}\` arm (${fallback}; no stored run here)`;
    const parts = metrics.map(([label, pick]) => `${median(runs.map((r) => pick(r.summary)))} ${label}`);
    const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
    const reps = runs.length > 1 ? `median of ${runs.length} runs, ` : '';
    return `the lab's \`${arm}\` arm measured ${list} (${reps}results/${runs[0]!.dir}/summary.json)`;
  }

  private json(rel: string): any {
    const file = join(this.root, rel);
    try {
      return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Duplicated side effects in the kill-mid-job experiment without requeue. */
  killMidJob(): string {
    const rel = 'results/kill-mid-job/summary.json';
    const modes: any[] = this.json(rel)?.modes ?? [];
    const off = modes.filter((m) => m.mode !== 'on' && typeof m.audit?.duplicated === 'number');
    if (!off.length) return `the lab measures this in its kill-mid-job experiment (${rel}; not stored here)`;
    return `the lab's kill-mid-job experiment applied ${off.map((m) => `${m.audit.duplicated} (${m.mode})`).join(' and ')} side effects twice without requeue (${rel})`;
  }

  /** Time until a ConfigMap change is live: rolling restart vs in-place reload. */
  reload(): string {
    const rel = 'results/reload-vs-restart/summary.json';
    const methods: any[] = this.json(rel)?.methods ?? [];
    const ms = (name: string) => methods.find((m) => m.method === name)?.inEffectMs?.median;
    const restart = ms('restart');
    const reload = ms('reload');
    if (typeof restart !== 'number' || typeof reload !== 'number') return `the lab measures hot reload against a restart (${rel}; not stored here)`;
    return `the lab measured a new config in effect on every pod after ${reload} ms by hot reload vs ${restart} ms by a rolling restart (${rel})`;
  }
}
