import { fmtCoverage, mannWhitney, medianInterval, zeroFailureUpperBound } from './stats.js';
import { CLIENT_METRICS, METRICS, showsClient, type ArmRow } from './tables.js';
import { failures } from './summarize.js';

// The before/after headline: per count, each arm's median with a distribution-free interval over
// its repetitions labelled with the probability it holds the median, and a Mann–Whitney rank test
// of before against after. An arm with no failure shows how high its failure rate could still be.

export const HEADLINE_METRICS = ['window_failures', 'http_502', 'reset', 'refused', 'timeout', 'sigkills', 'min_ready_pods', 'min_serving_pods', 'p99_roll_ms', 'jobs_lost', 'jobs_duplicated'];

const fmtP = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));
const metricOf = (key: string) => [...METRICS, ...CLIENT_METRICS].find((x) => x.key === key);

function valuesOf(row: ArmRow, key: string): number[] {
  const m = metricOf(key)!;
  return row.runs.map((r) => m.get(r.summary));
}

/** Requests alive in the deploy window, over every repetition of the arm. */
export const windowRequests = (row: ArmRow): number => row.runs.reduce((n, r) => n + Object.values(r.summary.windowCounts).reduce((a, b) => a + b, 0), 0);

/** "< 0.006 % (95 % upper bound, 0 of 50,000)": what a count of 0 failures in N requests allows. */
export function zeroBound(n: number): string {
  const ub = zeroFailureUpperBound(n) * 100;
  return `rate < ${ub < 0.01 ? ub.toPrecision(1) : ub.toFixed(2)} % (95 % upper bound, 0 of ${n.toLocaleString('en-US')})`;
}

function withInterval(row: ArmRow, key: string): string {
  const m = metricOf(key)!;
  const xs = valuesOf(row, key);
  const mid = row.cells[key]!.median;
  if (Number.isNaN(mid)) return '— (not recorded)';
  const zero = key === 'window_failures' && row.runs.every((r) => failures(r.summary.windowCounts) === 0) ? `; ${zeroBound(windowRequests(row))}` : '';
  if (xs.length < 2) return `${m.fmt(mid)} (1 rep: no interval)${zero}`;
  const ci = medianInterval(xs);
  return `${ci.lo === ci.hi ? `${m.fmt(mid)} [${m.fmt(ci.lo)}]` : `${m.fmt(mid)} [${m.fmt(ci.lo)}, ${m.fmt(ci.hi)}]`}${zero}`;
}

/** Rows are metrics, columns the two arms; the legend says what the brackets and p mean. */
export function headlineTable(before: ArmRow, after: ArmRow, keys: readonly string[] = HEADLINE_METRICS): string {
  const cover = (r: ArmRow) => (r.reps >= 2 ? `[interval, ${fmtCoverage(medianInterval(valuesOf(r, 'window_failures')).coverage)}]` : '');
  const lines = [
    `| per run (${before.reps} × \`${before.arm}\`, ${after.reps} × \`${after.arm}\`) | \`${before.arm}\` median ${cover(before)} | \`${after.arm}\` median ${cover(after)} | Mann–Whitney p |`,
    '|---|---|---|---|',
  ];
  // runs that recorded their client: the raw count follows the failures as the client saw them
  const shown = showsClient([before, after]) ? keys.flatMap((k) => (k === 'window_failures' ? [k, 'raw_window_failures'] : [k])) : keys;
  for (const key of shown) {
    const m = metricOf(key);
    if (!m) continue;
    const a = valuesOf(before, key);
    const b = valuesOf(after, key);
    const recorded = ![...a, ...b].some(Number.isNaN);
    const p = !recorded ? '—' : a.length >= 2 && b.length >= 2 ? fmtP(mannWhitney(a, b).p) : '— (needs ≥ 2 reps each)';
    lines.push(`| ${m.header} | ${withInterval(before, key)} | ${withInterval(after, key)} | ${p} |`);
  }
  const n = Math.min(before.reps, after.reps);
  lines.push('', `Brackets: an order-statistic interval of the median over the repetitions, labelled with the probability that it holds the true median (with n repetitions below 6 it is the min–max range, which holds the median with probability 1 − 2·0.5ⁿ: ${fmtCoverage(1 - 2 * 0.5 ** n)} at n = ${n}; not a 95 % interval). `
    + 'A count of 0 failures carries the exact 95 % upper bound of the failure rate over every request of the deploy windows (1 − 0.05^(1/N)). '
    + `p: two-sided Mann–Whitney U test of the per-run values, exact for these sample sizes (ties handled exactly)${before.reps === 5 && after.reps === 5 ? '; with 5 reps per arm the smallest possible p is 0.008' : ''}. `
    + 'Counts are requests alive during the deploy window; p99 excludes /slow.');
  return `${lines.join('\n')}\n`;
}
