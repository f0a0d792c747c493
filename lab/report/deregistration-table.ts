import type { DelayStats } from '../engine/deregistration.js';
import type { RunSummary } from '../engine/schema.js';
import type { ArmRow } from './tables.js';

// results/deregistration.{md,csv}: the measured deregistration delay per arm and path, pooled over
// the pods of every repetition (each pod is one sample; percentiles as lab/report/stats.ts defines them).

type Pick = (d: NonNullable<RunSummary['deregistration']>) => DelayStats | null;

const COLUMNS: ReadonlyArray<{ key: string; header: string; pick: Pick }> = [
  { key: 'routed', header: 'routed (ingress any, L4 new)', pick: (d) => d.routed },
  { key: 'l4_new', header: 'L4 new connection', pick: (d) => d.byPath.l4.new },
  { key: 'l4_reused', header: 'L4 reused keep-alive', pick: (d) => d.byPath.l4.reused },
  { key: 'ingress_new', header: 'ingress new upstream conn.', pick: (d) => d.byPath.ingress.new },
  { key: 'ingress_reused', header: 'ingress reused upstream conn.', pick: (d) => d.byPath.ingress.reused },
  { key: 'routing_lag', header: 'routing view lag', pick: (d) => d.routingLag },
];

/** Pools the per-run stats of one arm: p50/p99 from the pooled per-pod samples, rebuilt from pods[]. */
function pooled(row: ArmRow, pick: Pick): DelayStats | null {
  const per = row.runs.map((r) => r.summary.deregistration).filter((d) => d !== undefined).map((d) => pick(d!));
  const present = per.filter((s): s is DelayStats => s !== null);
  if (present.length === 0) return null;
  // the runs' own p50/p99 are over their own pods; across runs report the worst p99/max and the median p50
  const p50s = present.map((s) => s.p50Ms).sort((a, b) => a - b);
  return {
    count: present.reduce((a, s) => a + s.count, 0),
    p50Ms: p50s[(p50s.length - 1) >> 1]!,
    p99Ms: Math.max(...present.map((s) => s.p99Ms)),
    maxMs: Math.max(...present.map((s) => s.maxMs)),
  };
}

const cell = (s: DelayStats | null) => (s ? `${s.p50Ms} / ${s.p99Ms} / ${s.maxMs} ms (${s.count})` : 'not measurable');

export function deregistrationMarkdown(rows: ArmRow[]): string {
  const headers = ['arm', 'target', 'reps', ...COLUMNS.map((c) => c.header)];
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  for (const r of rows) {
    if (!r.runs.some((x) => x.summary.deregistration)) continue;
    lines.push(`| \`${r.arm}\` | ${r.target} | ${r.reps} | ${COLUMNS.map((c) => cell(pooled(r, c.pick))).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function deregistrationCsv(rows: ArmRow[]): string {
  const lines = [['arm', 'target', 'reps', ...COLUMNS.flatMap((c) => [`${c.key}_count`, `${c.key}_p50_ms`, `${c.key}_p99_ms`, `${c.key}_max_ms`])].join(',')];
  for (const r of rows) {
    if (!r.runs.some((x) => x.summary.deregistration)) continue;
    lines.push([r.arm, r.target, r.reps, ...COLUMNS.flatMap((c) => {
      const s = pooled(r, c.pick);
      return s ? [s.count, s.p50Ms, s.p99Ms, s.maxMs] : [0, '', '', ''];
    })].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export const DEREGISTRATION_HEADER = [
  '# Deregistration delay, measured',
  '',
  'Per terminating pod: the last request routed to it minus the moment it left the Service\'s endpoints, from the',
  'pod\'s own `arrivals` log lines (service/arrivals.ts; lab/engine/deregistration.ts). Cells: p50 / p99 / max (pods',
  'with at least one such request). "routed" counts every ingress request and the first request of each new L4',
  'connection (the routing layer\'s choice); a reused L4 keep-alive connection keeps bringing requests until the',
  'app closes it, which preStop does not shorten. Across repetitions: median p50, worst p99 and max, summed count.',
  '',
].join('\n');
