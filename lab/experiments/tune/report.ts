import { esc } from '../../report/svg.js';
import type { VariantRun } from './run.js';

// The sweep as a table and a chart ("how long should preStop be"): failed requests and rollout
// duration per preStop step, one series per propagation delay, the recommendation marked.

export interface SweepStep {
  propagationDelayMs: number;
  multiple: number;
  /** preStop asked for (multiple × measured p99) and applied (whole seconds, rounded up) */
  requestedMs: number;
  preStopSeconds: number;
  run: VariantRun;
}

export interface Sweep { propagationDelayMs: number; p99Ms: number; recommendedPreStopSeconds: number; steps: SweepStep[] }

export function sweepMarkdown(sweeps: readonly Sweep[]): string {
  const lines = ['| propagation delay | measured p99 | step | preStop asked | preStop applied | failed requests | rollout | deregistration p99 in this run | run |', '|---|---|---|---|---|---|---|---|---|'];
  for (const s of sweeps) for (const st of s.steps) {
    const rec = st.preStopSeconds === s.recommendedPreStopSeconds ? ' (recommended)' : '';
    lines.push(`| ${s.propagationDelayMs} ms | ${s.p99Ms} ms | ${st.multiple} × p99 | ${st.requestedMs} ms | ${st.preStopSeconds} s${rec} | ${st.run.failed} | ${(st.run.rolloutMs / 1000).toFixed(1)} s | `
      + `${st.run.summary.deregistration?.routed?.p99Ms ?? 'not measurable'} | ${st.run.dir.split('/').slice(-2).join('/')} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function sweepCsv(sweeps: readonly Sweep[]): string {
  const rows = ['propagation_delay_ms,measured_p99_ms,multiple,prestop_requested_ms,prestop_seconds,failed,rollout_ms,run_dereg_p99_ms,run'];
  for (const s of sweeps) for (const st of s.steps) {
    rows.push([s.propagationDelayMs, s.p99Ms, st.multiple, st.requestedMs, st.preStopSeconds, st.run.failed, st.run.rolloutMs, st.run.summary.deregistration?.routed?.p99Ms ?? '', st.run.dir.split('/').slice(-2).join('/')].join(','));
  }
  return `${rows.join('\n')}\n`;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const W = 760;
const LEFT = 70;
const RIGHT = 250;
const PANEL_H = 170;
const TOP = 70;
const GAP = 50;

/** 1, 2, 5 × 10^k step giving about four gridlines (whole numbers at least). */
function niceAxis(max: number): { top: number; step: number } {
  const raw = Math.max(1, max) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= raw)!);
  return { top: Math.ceil(Math.max(1, max) / step) * step, step };
}

/** Two panels over preStop seconds: failed requests, rollout duration; one line per propagation delay. */
export function sweepSvg(sweeps: readonly Sweep[], subtitle: string): string {
  const steps = sweeps.flatMap((s) => s.steps);
  const xMax = Math.max(1, ...steps.map((s) => s.preStopSeconds), ...sweeps.map((s) => s.recommendedPreStopSeconds));
  const plotW = W - LEFT - RIGHT;
  const x = (v: number) => LEFT + (v / xMax) * plotW;
  const panels = [
    { title: 'failed requests (whole run)', get: (s: SweepStep) => s.run.failed, fmt: (v: number) => String(v) },
    { title: 'rollout duration (s)', get: (s: SweepStep) => s.run.rolloutMs / 1000, fmt: (v: number) => v.toFixed(0) },
  ];
  const H = TOP + panels.length * (PANEL_H + GAP) + 10;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`, `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">How long should preStop be?</text>`, `<text x="${LEFT}" y="40" fill="#555">${esc(subtitle)}</text>`];
  panels.forEach((p, i) => {
    const top = TOP + i * (PANEL_H + GAP);
    const ax = niceAxis(Math.max(...steps.map(p.get)));
    const yMax = ax.top;
    const y = (v: number) => top + PANEL_H - (v / yMax) * PANEL_H;
    out.push(`<text x="${LEFT}" y="${top - 8}" font-weight="bold">${esc(p.title)}</text>`);
    for (let v = 0; v <= yMax; v += ax.step) {
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end" fill="#444">${p.fmt(v)}</text>`);
    }
    for (let s = 0; s <= xMax; s++) out.push(`<text x="${x(s)}" y="${top + PANEL_H + 14}" text-anchor="middle" fill="#444">${s}s</text>`);
    sweeps.forEach((sw, j) => {
      const color = COLORS[j % COLORS.length]!;
      const pts = sw.steps.map((st) => [x(st.preStopSeconds), y(p.get(st))] as const);
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`);
      sw.steps.forEach((st, k) => out.push(`<circle cx="${pts[k]![0].toFixed(1)}" cy="${pts[k]![1].toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`propagation ${sw.propagationDelayMs} ms, preStop ${st.preStopSeconds} s (${st.multiple} × p99): ${p.fmt(p.get(st))}`)}</title></circle>`));
      const rx = x(sw.recommendedPreStopSeconds);
      out.push(`<line x1="${rx}" x2="${rx}" y1="${top}" y2="${top + PANEL_H}" stroke="${color}" stroke-dasharray="5,4"/>`);
    });
  });
  out.push(`<text x="${LEFT}" y="${H - 8}" fill="#444">preStop sleep (s): multiples of the measured p99 deregistration delay, rounded up to whole seconds</text>`);
  let ly = TOP;
  sweeps.forEach((sw, j) => {
    const color = COLORS[j % COLORS.length]!;
    out.push(`<line x1="${LEFT + plotW + 16}" x2="${LEFT + plotW + 30}" y1="${ly + 5}" y2="${ly + 5}" stroke="${color}" stroke-width="2"/><text x="${LEFT + plotW + 34}" y="${ly + 9}">propagation ${sw.propagationDelayMs} ms</text>`);
    out.push(`<line x1="${LEFT + plotW + 16}" x2="${LEFT + plotW + 30}" y1="${ly + 20}" y2="${ly + 20}" stroke="${color}" stroke-dasharray="5,4"/><text x="${LEFT + plotW + 34}" y="${ly + 24}">recommended ${sw.recommendedPreStopSeconds} s (p99 ${sw.p99Ms} ms)</text>`);
    ly += 40;
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
