import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../engine/schema.js';

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

/** The L7 path a run measured; runs from before the option existed went through ingress-nginx. */
export const l7Of = (s: RunSummary): string => String(s.params.l7 ?? 'ingress-nginx');
/**
 * Runs are compared within one target and one L7 path: `local`, `kind` (ingress-nginx, the default,
 * so `<arm>|local` keys keep their meaning for every reader), `local|envoy-gateway`, …
 */
export const groupOf = (s: RunSummary): string => (l7Of(s) === 'ingress-nginx' ? s.target : `${s.target}|${l7Of(s)}`);
/** Groups in table order: target, then the default L7 path before the others. */
export function groupsOf(runs: readonly StoredRun[]): string[] {
  const rank = (g: string) => `${g.split('|')[0]}|${g.includes('|') ? 1 : 0}|${g}`;
  return [...new Set(runs.map((r) => groupOf(r.summary)))].sort((a, b) => rank(a).localeCompare(rank(b)));
}

export const batchOf = (r: StoredRun) => String(r.summary.params.batch ?? r.summary.date);

/** The command word of the invocation that made a run: an arm name, `ladder` or `leave-one-out`. */
export function suiteOf(r: StoredRun): string {
  const words = r.summary.command.split(/\s+/);
  const after = words.indexOf('--');
  return words.slice(after + 1).find((w) => w && !w.startsWith('-')) ?? r.summary.arm;
}

/**
 * Per arm and target, the repetitions of the most recent invocation that ran it. With `prefer`, runs
 * made by those suites win over more recent ones made by others (the ladder table shows the `ladder`
 * invocation, the before/after table `before` and `after`), falling back to any suite.
 */
export function latestByArm(all: readonly StoredRun[], prefer: readonly string[] = [], strict = false): Map<string, StoredRun[]> {
  const preferred = all.filter((r) => prefer.includes(suiteOf(r)));
  // a strict table (stress) shows only its own suite's runs, never the plain arm's
  if (strict) all = preferred;
  const keyOf = (r: StoredRun) => `${r.summary.arm}|${groupOf(r.summary)}`;
  const preferredKeys = new Set(preferred.map(keyOf));
  const runs = [...preferred, ...all.filter((r) => !preferredKeys.has(keyOf(r)))];
  const groups = new Map<string, StoredRun[]>();
  for (const r of runs) {
    const key = keyOf(r);
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
