import type { Arm } from '../engine/arms.js';
import type { RunSummary } from '../engine/schema.js';
import { failures } from './summarize.js';
import { anyRecordedClient, clientLabel, rawFailures, resent } from './client-counts.js';
import { spread, type Spread } from './stats.js';
import { l7Of, type StoredRun } from './load.js';

// The result schema (lab/engine/schema.ts), one row per arm, every cell median [min–max] over repetitions.

export interface Metric {
  key: string;
  header: string;
  get: (s: RunSummary) => number;
  fmt: (n: number) => string;
}

const int = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const pct = (n: number) => `${(n * 100).toFixed(2)} %`;
const secs = (n: number) => `${(n / 1000).toFixed(1)} s`;
const ms = (n: number) => `${Math.round(n)} ms`;

export const METRICS: readonly Metric[] = [
  { key: 'requests', header: 'requests', get: (s) => s.requests, fmt: int },
  { key: 'window_error_rate', header: 'deploy-window error rate', get: (s) => s.windowErrorRate, fmt: pct },
  { key: 'window_failures', header: 'failed in window', get: (s) => failures(s.windowCounts), fmt: int },
  { key: 'run_failures', header: 'failed in whole run', get: (s) => failures(s.totalCounts), fmt: int },
  { key: 'http_502', header: '502', get: (s) => s.windowCounts.http_502, fmt: int },
  { key: 'http_503', header: '503', get: (s) => s.windowCounts.http_503, fmt: int },
  { key: 'http_5xx_other', header: 'other 5xx', get: (s) => s.windowCounts.http_5xx_other, fmt: int },
  { key: 'reset', header: 'reset', get: (s) => s.windowCounts.reset, fmt: int },
  { key: 'refused', header: 'refused', get: (s) => s.windowCounts.refused, fmt: int },
  { key: 'timeout', header: 'timeout', get: (s) => s.windowCounts.timeout, fmt: int },
  { key: 'p99_steady_ms', header: 'p99 steady (excl. /slow)', get: (s) => s.p99SteadyMs, fmt: ms },
  { key: 'p99_roll_ms', header: 'p99 during roll (excl. /slow)', get: (s) => s.p99RollMs, fmt: ms },
  { key: 'deploy_duration_ms', header: 'deploy duration', get: (s) => s.deployDurationMs, fmt: secs },
  { key: 'min_ready_pods', header: 'min ready pods', get: (s) => s.minReadyPods, fmt: int },
  { key: 'min_serving_pods', header: 'min serving pods (accept a TCP connection)', get: (s) => s.minServingPods ?? NaN, fmt: int },
  { key: 'sigkills', header: 'SIGKILLs', get: (s) => s.sigkills, fmt: int },
  { key: 'jobs_accepted', header: 'jobs accepted', get: (s) => s.jobs.accepted, fmt: int },
  { key: 'jobs_lost', header: 'jobs lost', get: (s) => s.jobs.lost, fmt: int },
  { key: 'jobs_duplicated', header: 'side effects duplicated', get: (s) => s.jobs.duplicated, fmt: int },
  // NaN: not measured (runs made before the measurement, or nothing reached a terminating pod)
  { key: 'dereg_p99_ms', header: 'deregistration delay p99 (routed)', get: (s) => s.deregistration?.routed?.p99Ms ?? NaN, fmt: ms },
];

/**
 * Beside the failures as the run's client saw them: what a client that never resends would have
 * counted, and how many requests the client resent (lab/report/client-counts.ts). Only tables holding
 * a run that recorded its client carry them (and a `client` column), so tables of older runs stay
 * as they were; in such a table an older local run reads `node` (its generator resent nothing) and
 * a k6 run "not measured" (Go's Transport resends inside one k6 request).
 */
export const CLIENT_METRICS: readonly Metric[] = [
  { key: 'raw_window_failures', header: 'raw failed in window (no client resends)', get: (s) => rawFailures(s, 'window'), fmt: int },
  { key: 'raw_run_failures', header: 'raw failed in whole run', get: (s) => rawFailures(s, 'total'), fmt: int },
  { key: 'resent_run', header: 'resent by the client (whole run)', get: (s) => resent(s, 'total'), fmt: int },
];

export interface ArmRow {
  arm: string;
  title: string;
  target: string;
  /** the L7 path (params.l7; ingress-nginx for runs made before the option) */
  l7: string;
  reps: number;
  runs: StoredRun[];
  cells: Record<string, Spread>;
}

export function aggregate(arm: Arm, runs: StoredRun[]): ArmRow {
  const cells: Record<string, Spread> = {};
  for (const m of [...METRICS, ...CLIENT_METRICS]) cells[m.key] = spread(runs.map((r) => m.get(r.summary)).filter((n) => !Number.isNaN(n)));
  return { arm: arm.name, title: arm.title, target: runs[0]?.summary.target ?? '', l7: runs[0] ? l7Of(runs[0].summary) : '', reps: runs.length, runs, cells };
}

export function fmtSpread(s: Spread, fmt: (n: number) => string): string {
  if (s.n === 0) return 'not measured';
  if (Number.isNaN(s.median)) return '—'; // not recorded by runs of older code
  if (s.n <= 1 || s.min === s.max) return fmt(s.median);
  return `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]`;
}

/** Rows in the given arm order, skipping arms with no stored runs; `group` is load.ts groupOf (`local`, `local|envoy-gateway`, …). */
export function rowsFor(arms: readonly Arm[], latest: Map<string, StoredRun[]>, group: string): ArmRow[] {
  return arms.flatMap((a) => {
    const runs = latest.get(`${a.name}|${group}`);
    return runs?.length ? [aggregate(a, runs)] : [];
  });
}

/** Whether these rows carry the client columns (CLIENT_METRICS). */
export function showsClient(rows: readonly ArmRow[]): boolean {
  return anyRecordedClient(rows.flatMap((r) => r.runs.map((x) => x.summary)));
}

/** The clients of a row's runs, e.g. `go` or `go, node` for a row mixing runs of both. */
export function clientsOf(r: ArmRow): string {
  return [...new Set(r.runs.map((x) => clientLabel(x.summary)))].sort().join(', ');
}

/** The metric columns in order: the client's raw and resent counts follow the last failure count shown. */
function columns(rows: readonly ArmRow[], only?: readonly string[]): Metric[] {
  const metrics = only ? METRICS.filter((m) => only.includes(m.key)) : [...METRICS];
  if (!showsClient(rows)) return metrics;
  const at = metrics.findLastIndex((m) => m.key === 'window_failures' || m.key === 'run_failures');
  return at < 0 ? metrics : [...metrics.slice(0, at + 1), ...CLIENT_METRICS, ...metrics.slice(at + 1)];
}

export function markdownTable(rows: ArmRow[], opts: { marginal?: boolean; only?: readonly string[] } = {}): string {
  const metrics = columns(rows, opts.only);
  const client = showsClient(rows);
  const headers = ['arm', 'levers', 'target', 'L7', ...(client ? ['client'] : []), 'reps', ...metrics.map((m) => m.header)];
  if (opts.marginal) headers.push('Δ failed in whole run vs previous step');
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  rows.forEach((r, i) => {
    // a repetition whose records did not cover what was sent (lab/engine/coverage.ts) is named in the row
    const partial = r.runs.filter((x) => x.summary.coverage && !x.summary.coverage.complete).length;
    const reps = partial ? `${r.reps} (${partial} on partial data)` : String(r.reps);
    const cells = [`\`${r.arm}\``, r.title, r.target, r.l7, ...(client ? [clientsOf(r)] : []), reps, ...metrics.map((m) => fmtSpread(r.cells[m.key]!, m.fmt))];
    if (opts.marginal) {
      const prev = rows[i - 1];
      // whole run, not window: an arm without readiness keeps failing after its last old pod is gone
      const d = prev ? r.cells.run_failures!.median - prev.cells.run_failures!.median : NaN;
      cells.push(prev ? `${d > 0 ? '+' : ''}${int(d)}` : '—');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  });
  return `${lines.join('\n')}\n`;
}

export function csvTable(rows: ArmRow[]): string {
  const metrics = columns(rows);
  const client = showsClient(rows);
  const headers = ['arm', 'target', 'l7', ...(client ? ['client'] : []), 'reps', ...metrics.flatMap((m) => [`${m.key}_median`, `${m.key}_min`, `${m.key}_max`])];
  const lines = [headers.join(',')];
  for (const r of rows) {
    // a row mixing clients lists them separated by '+' (a comma would split the cell)
    lines.push([r.arm, r.target, r.l7, ...(client ? [clientsOf(r).replaceAll(', ', '+')] : []), r.reps, ...metrics.flatMap((m) => {
      const s = r.cells[m.key]!;
      return s.n === 0 ? ['', '', ''] : [String(s.median), String(s.min), String(s.max)];
    })].join(','));
  }
  return `${lines.join('\n')}\n`;
}
