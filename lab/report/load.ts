import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../schema.js';

export interface StoredRun {
  dir: string; // relative to results/, e.g. runs/20261121-124000-before-rep1
  summary: RunSummary;
}

/** Every results/runs/<run>/summary.json; unreadable ones are reported, not silently skipped. */
export function loadRuns(resultsDir: string, warn: (m: string) => void = () => {}): StoredRun[] {
  const root = join(resultsDir, 'runs');
  if (!existsSync(root)) return [];
  const out: StoredRun[] = [];
  for (const name of readdirSync(root).sort()) {
    const file = join(root, name, 'summary.json');
    if (!existsSync(file)) continue;
    try {
      out.push({ dir: `runs/${name}`, summary: JSON.parse(readFileSync(file, 'utf8')) as RunSummary });
    } catch (e) {
      warn(`skipping ${file}: ${(e as Error).message}`);
    }
  }
  return out;
}

const batchOf = (r: StoredRun) => String(r.summary.params.batch ?? r.summary.date);

/** Per arm and target, the repetitions of the most recent invocation that ran it. */
export function latestByArm(runs: readonly StoredRun[]): Map<string, StoredRun[]> {
  const groups = new Map<string, StoredRun[]>();
  for (const r of runs) {
    const key = `${r.summary.arm}|${r.summary.target}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const out = new Map<string, StoredRun[]>();
  for (const [key, list] of groups) {
    const latest = list.map(batchOf).sort().at(-1)!;
    out.set(key, list.filter((r) => batchOf(r) === latest).sort((a, b) => a.summary.rep - b.summary.rep));
  }
  return out;
}
