import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The lab's own measured numbers behind a finding's "why", read at run time from the tables the
// report generates (results/*.csv), so a new run never leaves a message stale. A message names the
// table and where it lives in the project's docs, never a run directory: those exist only in the
// lab's repository. Missing tables degrade to the pointer alone, never to a made-up number.
// Deliberately no import of the lab's engine or report: doctor loads only its own modules.

/** The package root: dist/lab/tools/doctor/evidence.js → four levels up. */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');

interface Table { file: string; title: string }
const TABLES: Record<string, Table> = {
  beforeAfter: { file: 'results/before-after', title: 'Before / after' },
  leaveOneOut: { file: 'results/leave-one-out', title: 'Leave-one-out' },
};
/** which table an arm's row is read from */
const TABLE_OF: Record<string, Table> = { before: TABLES.beforeAfter!, after: TABLES.beforeAfter! };

/** One table row's medians, in the shape of the run summary the rules were written against. */
export interface Measured {
  sigkills: number;
  minReadyPods: number;
  windowCounts: { http_502: number; http_503: number; http_5xx_other: number; reset: number; refused: number; timeout: number };
  jobs: { duplicated: number };
}
export type Metric = [label: string, pick: (s: Measured) => number];

function measured(row: Record<string, string>): Measured {
  const n = (col: string) => Number(row[`${col}_median`] ?? NaN); // NaN when the column is missing
  return {
    sigkills: n('sigkills'), minReadyPods: n('min_ready_pods'), jobs: { duplicated: n('jobs_duplicated') },
    windowCounts: { http_502: n('http_502'), http_503: n('http_503'), http_5xx_other: n('http_5xx_other'), reset: n('reset'), refused: n('refused'), timeout: n('timeout') },
  };
}

export const where = (t: { file: string; title: string }) => `table "${t.title}" in deploy-loss-lab's ${t.file}.md`;

function parseCsv(text: string): Record<string, string>[] {
  // the report writes plain numbers and ids (no quoted fields); a quoted file is read as unusable
  const [head, ...rows] = text.trim().split(/\r?\n/);
  if (!head || text.includes('"')) return [];
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i] ?? `_${i}`, v])));
}

export class Evidence {
  private readonly cache = new Map<string, Record<string, string>[]>();

  constructor(readonly root: string = PACKAGE_ROOT) {}

  private rows(t: Table): Record<string, string>[] {
    let rows = this.cache.get(t.file);
    if (!rows) {
      const file = join(this.root, `${t.file}.csv`);
      try {
        rows = existsSync(file) ? parseCsv(readFileSync(file, 'utf8')) : [];
      } catch {
        rows = [];
      }
      this.cache.set(t.file, rows);
    }
    return rows;
  }

  /** "the lab's `without-pid1` arm measured 15 SIGKILLs (median of 3 runs; table "Leave-one-out" in deploy-loss-lab's results/leave-one-out.md)" */
  cite(arm: string, metrics: Metric[]): string {
    const t = TABLE_OF[arm] ?? TABLES.leaveOneOut!;
    // the default routing profile's row first: ingress-nginx on the local target
    const candidates = this.rows(t).filter((r) => r.arm === arm);
    const row = candidates.find((r) => r.target === 'local' && r.l7 === 'ingress-nginx') ?? candidates[0];
    const m = row && measured(row);
    const values = m ? metrics.map(([label, pick]) => [label, pick(m)] as const) : [];
    if (!row || values.some(([, v]) => !Number.isFinite(v))) {
      return `the lab measures this in its \`${arm}\` arm (${where(t)}; not stored here)`;
    }
    const parts = values.map(([label, v]) => `${v} ${label}`);
    const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
    const reps = Number(row.reps) > 1 ? `median of ${row.reps} runs; ` : '';
    return `the lab's \`${arm}\` arm measured ${list} (${reps}${where(t)})`;
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
    const t = { file: 'results/kill-mid-job/table', title: 'kill-mid-job' };
    const modes: any[] = this.json('results/kill-mid-job/summary.json')?.modes ?? [];
    const off = modes.filter((m) => m.mode !== 'on' && typeof m.audit?.duplicated === 'number');
    if (!off.length) return `the lab measures this in its kill-mid-job experiment (${where(t)}; not stored here)`;
    return `the lab's kill-mid-job experiment applied ${off.map((m) => `${m.audit.duplicated} (${m.mode})`).join(' and ')} side effects twice without requeue (${where(t)})`;
  }

  /** Time until a ConfigMap change is live: rolling restart vs in-place reload. */
  reload(): string {
    const t = { file: 'results/reload-vs-restart/table', title: 'Config change: rolling restart vs in-place reload' };
    const methods: any[] = this.json('results/reload-vs-restart/summary.json')?.methods ?? [];
    const ms = (name: string) => methods.find((m) => m.method === name)?.inEffectMs?.median;
    const restart = ms('restart');
    const reload = ms('reload');
    if (typeof restart !== 'number' || typeof reload !== 'number') return `the lab measures hot reload against a restart (${where(t)}; not stored here)`;
    return `the lab measured a new config in effect on every pod after ${reload} ms by hot reload vs ${restart} ms by a rolling restart (${where(t)})`;
  }
}
