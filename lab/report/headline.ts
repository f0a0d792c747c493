import { bootstrapMedianCI, mannWhitney } from './stats.js';
import { METRICS, type ArmRow } from './tables.js';

// The before/after headline: per count, each arm's median with a bootstrap 95 % interval over its
// repetitions, and a Mann–Whitney rank test of before against after.

export const HEADLINE_METRICS = ['window_failures', 'http_502', 'reset', 'refused', 'timeout', 'sigkills', 'min_ready_pods', 'min_serving_pods', 'p99_roll_ms', 'jobs_lost', 'jobs_duplicated'];

const fmtP = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

function valuesOf(row: ArmRow, key: string): number[] {
  const m = METRICS.find((x) => x.key === key)!;
  return row.runs.map((r) => m.get(r.summary));
}

function withInterval(row: ArmRow, key: string): string {
  const m = METRICS.find((x) => x.key === key)!;
  const xs = valuesOf(row, key);
  const mid = row.cells[key]!.median;
  if (Number.isNaN(mid)) return '— (not recorded)';
  if (xs.length < 2) return `${m.fmt(mid)} (1 rep: no interval)`;
  const ci = bootstrapMedianCI(xs);
  return ci.lo === ci.hi ? `${m.fmt(mid)} [${m.fmt(ci.lo)}]` : `${m.fmt(mid)} [${m.fmt(ci.lo)}, ${m.fmt(ci.hi)}]`;
}

/** Rows are metrics, columns the two arms; the legend says what the brackets and p mean. */
export function headlineTable(before: ArmRow, after: ArmRow, keys: readonly string[] = HEADLINE_METRICS): string {
  const lines = [
    `| per run (${before.reps} × \`${before.arm}\`, ${after.reps} × \`${after.arm}\`) | \`${before.arm}\` median [95 % CI] | \`${after.arm}\` median [95 % CI] | Mann–Whitney p |`,
    '|---|---|---|---|',
  ];
  for (const key of keys) {
    const m = METRICS.find((x) => x.key === key);
    if (!m) continue;
    const a = valuesOf(before, key);
    const b = valuesOf(after, key);
    const recorded = ![...a, ...b].some(Number.isNaN);
    const p = !recorded ? '—' : a.length >= 2 && b.length >= 2 ? fmtP(mannWhitney(a, b).p) : '— (needs ≥ 2 reps each)';
    lines.push(`| ${m.header} | ${withInterval(before, key)} | ${withInterval(after, key)} | ${p} |`);
  }
  lines.push('', 'Brackets: percentile-bootstrap 95 % interval of the median over the repetitions (2,000 seeded resamples; one value when every resample agrees). '
    + 'p: two-sided Mann–Whitney U test of the per-run values, exact for these sample sizes (ties handled exactly); with 5 reps per arm the smallest possible p is 0.008. '
    + 'Counts are requests alive during the deploy window; p99 excludes /slow.');
  return `${lines.join('\n')}\n`;
}
