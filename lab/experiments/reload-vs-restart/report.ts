import { CLASSES } from '../../../loadtest/classes.js';
import { perSecond } from '../../report/buckets.js';
import { maxOf, Svg } from '../../report/svg.js';
import type { MethodRun } from './arm.js';
import type { MethodStats } from './stats.js';
import type { TlsRun } from './tls.js';
import { csvCell } from '../../report/csv.js';

// Tables and chart of results/reload-vs-restart/. The chart uses the lab's one SVG writer
// (lab/report/svg.ts); lab/report's renderTimeline is per deploy run and expects a RunSummary with
// a job audit, which this comparison does not have.

interface Row { label: string; value: (s: MethodStats) => string }

const ms = (n: number) => `${Math.round(n)} ms`;
const ROWS: Row[] = [
  { label: 'requests (whole run)', value: (s) => String(s.requests) },
  { label: 'changes', value: (s) => String(s.changes) },
  { label: 'requests during the changes', value: (s) => String(s.windowRequests) },
  { label: 'errors during the changes', value: (s) => String(s.windowErrors) },
  ...CLASSES.filter((c) => c !== 'ok').map((c) => ({ label: `· ${c}`, value: (s: MethodStats) => String(s.windowCounts[c]) })),
  { label: 'p99 steady (all routes)', value: (s) => ms(s.p99SteadyMs) },
  { label: 'p99 during the changes (all routes)', value: (s) => ms(s.p99ChangeMs) },
  { label: 'p99 change vs steady', value: (s) => `${s.p99ChangeVsSteady >= 0 ? '+' : ''}${(s.p99ChangeVsSteady * 100).toFixed(1)} %` },
  { label: 'p99 steady (/fast)', value: (s) => ms(s.p99FastSteadyMs) },
  { label: 'p99 during the changes (/fast)', value: (s) => ms(s.p99FastChangeMs) },
  { label: '· per change (/fast)', value: (s) => s.p99FastPerChangeMs.map((v) => Math.round(v)).join(' / ') + ' ms' },
  { label: 'new config in effect on every pod (median [min–max])', value: (s) => `${ms(s.inEffectMs.median)} [${s.inEffectMs.min}–${s.inEffectMs.max}]` },
  { label: 'persistent connections closed during the changes (by the server)', value: (s) => `${s.connsClosedDuringChange} (${s.connsClosedByServerDuringChange})` },
  { label: 'new connections opened during the changes', value: (s) => String(s.connsOpenedDuringChange) },
  { label: 'new connections opened per second, steady', value: (s) => String(s.connsOpenedSteadyPerS) },
  { label: 'dropped iterations (generator)', value: (s) => String(s.dropped) },
];

export function markdownTable(stats: MethodStats[]): string {
  const head = `| metric | ${stats.map((s) => s.method === 'restart' ? '(a) rolling restart' : '(b) in-place reload').join(' | ')} |`;
  const sep = `|---|${stats.map(() => '---:').join('|')}|`;
  return [head, sep, ...ROWS.map((r) => `| ${r.label} | ${stats.map(r.value).join(' | ')} |`)].join('\n');
}

export function csvTable(stats: MethodStats[]): string {
  return [['metric', ...stats.map((s) => s.method)].join(','), ...ROWS.map((r) => [csvCell(r.label), ...stats.map((s) => csvCell(r.value(s)))].join(','))].join('\n') + '\n';
}

export function tlsTable(t: TlsRun): string {
  const lines = ['| phase | requests | errors | handshakes | failed handshakes | served cert (A = old, B = new) |', '|---|---:|---:|---:|---:|---|'];
  for (const p of t.phases) {
    const req = Object.values(p.counts).reduce((a, b) => a + b, 0);
    lines.push(`| ${p.name} | ${req} | ${req - p.counts.ok} | ${p.handshakes} | ${p.failedHandshakes} | ${Object.entries(p.fingerprints).map(([k, v]) => `${k}×${v}`).join(', ')} |`);
  }
  return lines.join('\n');
}

interface Series { v: number[]; color: string; label: string }

/** One row per method: requests/s and errors/s, p99 per second; change windows shaded. */
export function timelineSvg(runs: MethodRun[], title: string): string {
  const W = 1000; const L = 70; const R = 20; const PH = 110; const GAP = 52; const TOP = 40;
  const svg = new Svg(W, TOP + runs.length * 3 * (PH + GAP) + 10);
  svg.text(L, 20, title, 'font-size="14" font-weight="bold"');
  let row = 0;
  // One time scale for every method, so the length of a change reads the same across rows.
  const secs = maxOf(runs.map((run) => Math.ceil((maxOf(run.records.map((r) => r.t_sched), run.baseline.start) - run.baseline.start + 1000) / 1000)), 1);
  for (const run of runs) {
    const t0 = run.baseline.start - 1000;
    const b = perSecond(run.records, t0, secs);
    const fast = perSecond(run.records.filter((r) => r.route === 'fast'), t0, secs);
    const x = (s: number) => L + (s / secs) * (W - L - R);
    const panels: Array<{ name: string; series: Series[] }> = [
      { name: `${run.method}: requests/s and errors/s`, series: [{ v: b.map((k) => k.requests), color: '#999', label: 'requests/s' }, { v: b.map((k) => k.requests - k.counts.ok), color: '#d62728', label: 'errors/s' }] },
      // perSecond's p99 leaves /slow out (its latency is its own parameter), so the label says so
      { name: `${run.method}: p99 latency per second, every route except /slow (ms)`, series: [{ v: b.map((k) => k.p99Ms), color: '#1f77b4', label: 'p99 ms' }] },
      { name: `${run.method}: p99 latency per second, /fast only (ms)`, series: [{ v: fast.map((k) => k.p99Ms), color: '#9467bd', label: 'p99 /fast' }] },
    ];
    for (const p of panels) {
      const y0 = TOP + row * (PH + GAP) + 14;
      const max = maxOf(p.series.flatMap((s) => s.v), 1) * 1.1;
      const y = (v: number) => y0 + PH - (v / max) * PH;
      svg.text(L, y0 - 4, p.name, 'font-weight="bold"');
      for (const c of run.changes) {
        const a = x((c.start - t0) / 1000); const e = x((c.end - t0) / 1000); const inEff = x((c.start + c.inEffectMs - t0) / 1000);
        svg.rect(a, y0, Math.max(1, e - a), PH, '#fdf1d8');
        svg.line(inEff, inEff, y0, y0 + PH, '#2ca02c', 'stroke-dasharray="3,2"');
      }
      svg.rect(L, y0, W - L - R, PH, 'none', 'stroke="#ccc"');
      svg.text(L - 6, y0 + 4, String(Math.round(max)), 'text-anchor="end"').text(L - 6, y0 + PH, '0', 'text-anchor="end"');
      p.series.forEach((s, i) => {
        svg.polyline(s.v.map((v, k) => [x(k + 0.5), y(v)] as const), s.color);
        svg.text(W - R - 120 + i * 60, y0 - 4, s.label, `fill="${s.color}"`);
      });
      const tick = secs > 60 ? 10 : 5;
      for (let t = 0; t <= secs; t += tick) {
        svg.line(x(t), x(t), y0 + PH, y0 + PH + 4, '#666');
        svg.text(x(t), y0 + PH + 14, `${t}s`, 'text-anchor="middle" fill="#555"');
      }
      svg.text(W - R, y0 + PH + 26, 'seconds since 1 s before the baseline · shaded: change windows · dashed green: new config in effect on every pod', 'text-anchor="end" fill="#555"');
      row++;
    }
  }
  return svg.toString();
}
