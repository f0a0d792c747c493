import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AFTER, BEFORE } from '../engine/arms.js';
import { batchOf, l7Of, suiteOf, type StoredRun } from './load.js';
import { batchesOf } from './provenance.js';
import { failures } from './summarize.js';
import { median, medianInterval } from './stats.js';
import { csvCell } from './csv.js';

// results/history.csv: one line per headline batch (an invocation that ran `before` or `after`), so a
// drift of the headline shows itself the next time the report runs. Lines of batches whose runs are
// no longer stored are kept as they were; the others are recomputed, so regenerating changes nothing.

const HEADER = ['batch', 'command', 'commit', 'first_run', 'target', 'l7', 'load1_min', 'load1_max',
  'before_reps', 'before_failed_median', 'before_failed_lo', 'before_failed_hi', 'before_interval_coverage', 'before_502_median', 'before_refused_median', 'before_reset_median',
  'after_reps', 'after_failed_median', 'after_failed_lo', 'after_failed_hi', 'after_interval_coverage', 'after_window_requests'];

const HEADLINE_SUITES = new Set([BEFORE.name, AFTER.name]);

function armCells(runs: StoredRun[]): Array<string | number> {
  if (!runs.length) return ['0', '', '', '', '', '', '', ''];
  const f = runs.map((r) => failures(r.summary.windowCounts));
  const iv = medianInterval(f);
  const med = (g: (r: StoredRun) => number) => median(runs.map(g));
  return [runs.length, median(f), iv.lo, iv.hi, runs.length > 1 ? iv.coverage.toFixed(4) : '',
    med((r) => r.summary.windowCounts.http_502), med((r) => r.summary.windowCounts.refused), med((r) => r.summary.windowCounts.reset)];
}

export function historyRows(runs: readonly StoredRun[]): string[][] {
  const headline = runs.filter((r) => HEADLINE_SUITES.has(suiteOf(r)) && (r.summary.arm === BEFORE.name || r.summary.arm === AFTER.name));
  const groups = new Map<string, StoredRun[]>();
  for (const r of headline) {
    const key = `${batchOf(r)}|${r.summary.target}|${l7Of(r.summary)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()].map(([key, list]) => {
    const [batch, target, l7] = key.split('|') as [string, string, string];
    const b = batchesOf(list)[0]!;
    const before = list.filter((r) => r.summary.arm === BEFORE.name);
    const after = list.filter((r) => r.summary.arm === AFTER.name);
    const afterReq = after.reduce((n, r) => n + Object.values(r.summary.windowCounts).reduce((x, y) => x + y, 0), 0);
    return [batch, b.command, b.commits.map((c) => c.slice(0, 12)).join('+'), b.first, target, l7,
      b.machine ? String(b.machine.loadBefore[0]) : '', b.machine ? String(b.machine.loadBefore[1]) : '',
      ...armCells(before).slice(0, 8), ...armCells(after).slice(0, 5), after.length ? afterReq : ''].map(String);
  });
}

/** Parses the file this module writes (quoted cells only where they hold a comma or quote). */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue;
    const cells: string[] = [];
    for (const m of line.matchAll(/("((?:[^"]|"")*)"|[^,]*)(,|$)/g)) {
      cells.push(m[2] !== undefined ? m[2].replace(/""/g, '"') : m[1]!);
      if (m[3] === '') break;
    }
    rows.push(cells);
  }
  return rows;
}

export function writeHistory(resultsDir: string, runs: readonly StoredRun[]): string[] {
  const file = join(resultsDir, 'history.csv');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const fresh = historyRows(runs);
  const stored = new Set(fresh.map((r) => `${r[0]}|${r[4]}|${r[5]}`));
  const kept = readCsv(old).filter((r) => !stored.has(`${r[0]}|${r[4]}|${r[5]}`));
  const all = [...kept, ...fresh].sort((a, b) => `${a[0]}|${a[4]}|${a[5]}`.localeCompare(`${b[0]}|${b[4]}|${b[5]}`));
  if (all.length === 0 && old === '') return []; // no headline batch yet: no file
  const text = `${[HEADER, ...all].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
  if (text === old) return [];
  writeFileSync(file, text);
  return ['history.csv'];
}
