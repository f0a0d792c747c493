import { CLASSES } from '../../../loadtest/classes.js';
import { perSecond } from '../../report/buckets.js';
import type { MethodRun } from './arm.js';
import type { MethodStats } from './stats.js';
import type { TlsRun } from './tls.js';

// Tables and chart of results/reload-vs-restart/. The SVG is hand-written like lab/report's
// timeline (no chart dependency); lab/report's renderTimeline is per deploy run and expects a
// RunSummary with a job audit, which this comparison does not have.

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
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [['metric', ...stats.map((s) => s.method)].join(','), ...ROWS.map((r) => [q(r.label), ...stats.map((s) => q(r.value(s)))].join(','))].join('\n') + '\n';
}

export function tlsTable(t: TlsRun): string {
  const lines = ['| phase | requests | errors | handshakes | failed handshakes | served cert (A = old, B = new) |', '|---|---:|---:|---:|---:|---|'];
  for (const p of t.phases) {
    const req = Object.values(p.counts).reduce((a, b) => a + b, 0);
    lines.push(`| ${p.name} | ${req} | ${req - p.counts.ok} | ${p.handshakes} | ${p.failedHandshakes} | ${Object.entries(p.fingerprints).map(([k, v]) => `${k}×${v}`).join(', ')} |`);
  }
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One row per method: requests/s and errors/s, p99 per second; change windows shaded. */
export function timelineSvg(runs: MethodRun[], title: string): string {
  const W = 1000; const L = 70; const R = 20; const PH = 110; const GAP = 52; const TOP = 40;
  const H = TOP + runs.length * 3 * (PH + GAP) + 10;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`, `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${L}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`];
  let row = 0;
  // One time scale for every method, so the length of a change reads the same across rows.
  const secs = Math.max(1, ...runs.map((run) => Math.ceil((Math.max(...run.records.map((r) => r.t_sched), run.baseline.start) - run.baseline.start + 1000) / 1000)));
  for (const run of runs) {
    const t0 = run.baseline.start - 1000;
    const b = perSecond(run.records, t0, secs);
    const fast = perSecond(run.records.filter((r) => r.route === 'fast'), t0, secs);
    const x = (s: number) => L + (s / secs) * (W - L - R);
    const panels: Array<{ name: string; series: Array<{ v: number[]; color: string; label: string }> }> = [
      { name: `${run.method}: requests/s and errors/s`, series: [{ v: b.map((k) => k.requests), color: '#999', label: 'requests/s' }, { v: b.map((k) => k.requests - k.counts.ok), color: '#d62728', label: 'errors/s' }] },
      // perSecond's p99 leaves /slow out (its latency is its own parameter), so the label says so
      { name: `${run.method}: p99 latency per second, every route except /slow (ms)`, series: [{ v: b.map((k) => k.p99Ms), color: '#1f77b4', label: 'p99 ms' }] },
      { name: `${run.method}: p99 latency per second, /fast only (ms)`, series: [{ v: fast.map((k) => k.p99Ms), color: '#9467bd', label: 'p99 /fast' }] },
    ];
    for (const p of panels) {
      const y0 = TOP + row * (PH + GAP) + 14;
      const max = Math.max(1, ...p.series.flatMap((s) => s.v)) * 1.1;
      const y = (v: number) => y0 + PH - (v / max) * PH;
      out.push(`<text x="${L}" y="${y0 - 4}" font-weight="bold">${esc(p.name)}</text>`);
      for (const c of run.changes) {
        const a = x((c.start - t0) / 1000); const e = x((c.end - t0) / 1000); const inEff = x((c.start + c.inEffectMs - t0) / 1000);
        out.push(`<rect x="${a.toFixed(1)}" y="${y0}" width="${Math.max(1, e - a).toFixed(1)}" height="${PH}" fill="#fdf1d8"/>`);
        out.push(`<line x1="${inEff.toFixed(1)}" x2="${inEff.toFixed(1)}" y1="${y0}" y2="${y0 + PH}" stroke="#2ca02c" stroke-dasharray="3,2"/>`);
      }
      out.push(`<rect x="${L}" y="${y0}" width="${W - L - R}" height="${PH}" fill="none" stroke="#ccc"/>`);
      out.push(`<text x="${L - 6}" y="${y0 + 4}" text-anchor="end">${Math.round(max)}</text><text x="${L - 6}" y="${y0 + PH}" text-anchor="end">0</text>`);
      p.series.forEach((s, i) => {
        out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.v.map((v, k) => `${x(k + 0.5).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
        out.push(`<text x="${W - R - 120 + i * 60}" y="${y0 - 4}" fill="${s.color}">${esc(s.label)}</text>`);
      });
      const tick = secs > 60 ? 10 : 5;
      for (let t = 0; t <= secs; t += tick) {
        out.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${y0 + PH}" y2="${y0 + PH + 4}" stroke="#666"/>`);
        out.push(`<text x="${x(t).toFixed(1)}" y="${y0 + PH + 14}" text-anchor="middle" fill="#555">${t}s</text>`);
      }
      out.push(`<text x="${W - R}" y="${y0 + PH + 26}" text-anchor="end" fill="#555">seconds since 1 s before the baseline · shaded: change windows · dashed green: new config in effect on every pod</text>`);
      row++;
    }
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
