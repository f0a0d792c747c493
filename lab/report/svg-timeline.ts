import type { RequestRecord } from '../../loadtest/records.js';
import type { RunTimeline } from '../engine/artifacts.js';
import type { RunSummary } from '../engine/schema.js';
import { ERROR_CLASSES, perSecond } from './buckets.js';

// Hand-written SVG (no chart dependency): four panels sharing one time axis, so the moment a
// rollout event happens can be read straight across errors, throughput, latency and capacity.

const W = 1000;
const LEFT = 70;
const RIGHT = 150; // legend column
const PANEL_H = 120;
const GAP = 34;
const TOP = 76;

export const CLASS_COLOR: Record<string, string> = {
  http_502: '#d62728', http_503: '#ff7f0e', http_5xx_other: '#8c564b', reset: '#9467bd',
  refused: '#1f77b4', timeout: '#e377c2', other: '#7f7f7f',
};
const DEPLOY_COLOR: Record<string, string> = { service: '#2ca02c', worker: '#17becf' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f1 = (n: number) => (Math.round(n * 10) / 10).toString();

/** 1, 2, 5 × 10^k step giving about `ticks` gridlines. */
function niceMax(max: number, ticks = 4): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

export interface TimelineInput {
  records: readonly RequestRecord[];
  timeline: RunTimeline;
  summary: RunSummary;
}

export function renderTimeline({ records, timeline, summary }: TimelineInput): string {
  // time zero is the first scheduled request (the start of the load), not the cluster's boot
  const firstSched = records.reduce((m, r) => Math.min(m, r.t_sched), Infinity);
  const t0 = Number.isFinite(firstSched) ? firstSched : (timeline.phases[0]?.start ?? Date.now());
  const tEnd = Math.max(t0 + 1000, ...records.map((r) => r.t_sched), ...timeline.phases.map((p) => p.end || p.start));
  const seconds = Math.ceil((tEnd - t0) / 1000);
  const buckets = perSecond(records, t0, seconds);
  const plotW = W - LEFT - RIGHT;
  const x = (tSec: number) => LEFT + (tSec / seconds) * plotW;
  const xt = (t: number) => x((t - t0) / 1000);
  const out: string[] = [];
  const panels = ['requests/s', 'errors/s by class', 'p99 latency (ms) per second, excluding /slow', 'ready pods (solid) and serving service pods: accept a TCP connection (dashed)'];
  const H = TOP + panels.length * (PANEL_H + GAP) + 30;
  const panelTop = (i: number) => TOP + i * (PANEL_H + GAP);

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  const title = `${summary.arm} · rep ${summary.rep} · ${summary.target} · ${summary.params.rate} req/s · ${summary.params.deploys} deploys · propagation ${summary.params.propagationDelayMs ?? 'n/a'} ms`;
  out.push(`<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="${LEFT}" y="38" fill="#555">${esc(`${summary.date} · commit ${summary.commit.slice(0, 12)} · deploy-window error rate ${(summary.windowErrorRate * 100).toFixed(2)} % · SIGKILLs ${summary.sigkills} · jobs lost ${summary.jobs.lost} / duplicated ${summary.jobs.duplicated}`)}</text>`);

  // phase bands (deploy windows shaded) behind every panel
  for (const p of timeline.phases) {
    if (p.name !== 'deploy' && p.name !== 'baseline') continue;
    const x1 = xt(Math.max(t0, p.start));
    const x2 = xt(p.end || tEnd);
    const fill = p.name === 'deploy' ? '#fff3c4' : '#eef3f8';
    for (let i = 0; i < panels.length; i++) out.push(`<rect x="${f1(x1)}" y="${panelTop(i)}" width="${f1(Math.max(1, x2 - x1))}" height="${PANEL_H}" fill="${fill}"/>`);
    out.push(`<text x="${f1(x1 + 2)}" y="${TOP - 22}" fill="#777" font-size="9">${p.name}</text>`);
  }

  const axis = (i: number, label: string, top: number, step: number, unit = '') => {
    const y0 = panelTop(i);
    out.push(`<text x="${LEFT}" y="${y0 - 6}" font-weight="bold">${esc(label)}</text>`);
    for (let v = 0; v <= top + 1e-9; v += step) {
      const y = y0 + PANEL_H - (v / top) * PANEL_H;
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${f1(y)}" y2="${f1(y)}" stroke="#ddd"/>`);
      out.push(`<text x="${LEFT - 6}" y="${f1(y + 4)}" text-anchor="end" fill="#444">${f1(v)}${unit}</text>`);
    }
    out.push(`<rect x="${LEFT}" y="${y0}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
  };
  const yOf = (i: number, v: number, top: number) => panelTop(i) + PANEL_H - (Math.min(v, top) / top) * PANEL_H;
  const polyline = (pts: Array<[number, number]>, color: string, width = 1.5) =>
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="${width}" points="${pts.map(([a, b]) => `${f1(a)},${f1(b)}`).join(' ')}"/>`);

  // 1. requests/s
  const rq = niceMax(Math.max(...buckets.map((b) => b.requests), 1));
  axis(0, panels[0]!, rq.top, rq.step);
  polyline(buckets.map((b) => [x(b.s + 0.5), yOf(0, b.requests, rq.top)]), '#333');

  // 2. stacked errors/s
  const errMax = Math.max(...buckets.map((b) => ERROR_CLASSES.reduce((s, c) => s + b.counts[c], 0)), 1);
  const er = niceMax(errMax);
  axis(1, panels[1]!, er.top, er.step);
  const bw = Math.max(1, plotW / seconds - 1);
  for (const b of buckets) {
    let acc = 0;
    for (const c of ERROR_CLASSES) {
      const n = b.counts[c];
      if (!n) continue;
      const y1 = yOf(1, acc + n, er.top);
      const y2 = yOf(1, acc, er.top);
      out.push(`<rect x="${f1(x(b.s))}" y="${f1(y1)}" width="${f1(bw)}" height="${f1(Math.max(0.5, y2 - y1))}" fill="${CLASS_COLOR[c]}"><title>${b.s}s ${c}: ${n}</title></rect>`);
      acc += n;
    }
  }
  if (errMax <= 1 && buckets.every((b) => ERROR_CLASSES.every((c) => b.counts[c] === 0))) {
    out.push(`<text x="${LEFT + plotW / 2}" y="${panelTop(1) + PANEL_H / 2}" text-anchor="middle" fill="#2ca02c" font-size="13">no failed requests</text>`);
  }

  // 3. p99 per second
  const pq = niceMax(Math.max(...buckets.map((b) => b.p99Ms), 1));
  axis(2, panels[2]!, pq.top, pq.step);
  polyline(buckets.filter((b) => b.requests > 0).map((b) => [x(b.s + 0.5), yOf(2, b.p99Ms, pq.top)]), '#d62728');

  // 4. ready pods, step lines
  const deployments = [...new Set(timeline.readySamples.flatMap((s) => Object.keys(s.ready)))];
  const rp = niceMax(Math.max(...timeline.readySamples.flatMap((s) => Object.values(s.ready)), 1), 4);
  axis(3, panels[3]!, Math.max(rp.top, 1), 1);
  for (const d of deployments) {
    const pts: Array<[number, number]> = [];
    let prev: number | undefined;
    for (const s of timeline.readySamples) {
      if (s.t < t0 || s.t > tEnd) continue;
      const v = s.ready[d] ?? 0;
      const px = xt(s.t);
      if (prev !== undefined && v !== prev) pts.push([px, yOf(3, prev, rp.top)]);
      pts.push([px, yOf(3, v, rp.top)]);
      prev = v;
    }
    if (pts.length) polyline(pts, DEPLOY_COLOR[d] ?? '#000', 2);
  }
  // serving pods (lab/engine/serving-probe.ts), dashed: below the ready line when Ready overstates capacity
  const serving: Array<[number, number]> = [];
  let prevServing: number | undefined;
  for (const s of timeline.servingSamples ?? []) {
    if (s.t < t0 || s.t > tEnd) continue;
    const v = s.serving.service ?? 0;
    if (prevServing !== undefined && v !== prevServing) serving.push([xt(s.t), yOf(3, prevServing, rp.top)]);
    serving.push([xt(s.t), yOf(3, v, rp.top)]);
    prevServing = v;
  }
  if (serving.length) out.push(`<polyline fill="none" stroke="#000" stroke-width="1.5" stroke-dasharray="3,2" points="${serving.map(([a, b]) => `${f1(a)},${f1(b)}`).join(' ')}"/>`);

  // rollout events across all panels
  const bottom = panelTop(panels.length - 1) + PANEL_H;
  for (const e of timeline.events) {
    if (e.t < t0 || e.t > tEnd) continue;
    if (e.kind === 'rollout-start' || e.kind === 'rollout-done') {
      const color = e.kind === 'rollout-start' ? '#1f4e9c' : '#2ca02c';
      out.push(`<line x1="${f1(xt(e.t))}" x2="${f1(xt(e.t))}" y1="${TOP}" y2="${bottom}" stroke="${color}" stroke-dasharray="4,3"><title>${esc(`${e.kind} ${e.deployment ?? ''}`)}</title></line>`);
    } else if (e.kind === 'sigkill') {
      out.push(`<line x1="${f1(xt(e.t))}" x2="${f1(xt(e.t))}" y1="${TOP}" y2="${bottom}" stroke="#d62728" stroke-width="1.5"><title>${esc(`SIGKILL ${e.pod ?? ''}`)}</title></line>`);
    }
  }

  // x axis
  const xs = niceMax(seconds, 10);
  for (let s = 0; s <= seconds; s += xs.step) {
    out.push(`<line x1="${f1(x(s))}" x2="${f1(x(s))}" y1="${bottom}" y2="${bottom + 4}" stroke="#444"/>`);
    out.push(`<text x="${f1(x(s))}" y="${bottom + 16}" text-anchor="middle" fill="#444">${s}s</text>`);
  }
  out.push(`<text x="${LEFT + plotW / 2}" y="${bottom + 28}" text-anchor="middle" fill="#444">seconds since the load started (requests by scheduled send time)</text>`);

  // legend
  const lx = LEFT + plotW + 16;
  let ly = panelTop(1) + 4;
  for (const c of ERROR_CLASSES) {
    out.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${CLASS_COLOR[c]}"/><text x="${lx + 14}" y="${ly + 9}">${c}</text>`);
    ly += 15;
  }
  ly = panelTop(3) + 4;
  for (const d of deployments) {
    out.push(`<line x1="${lx}" x2="${lx + 10}" y1="${ly + 5}" y2="${ly + 5}" stroke="${DEPLOY_COLOR[d] ?? '#000'}" stroke-width="2"/><text x="${lx + 14}" y="${ly + 9}">${esc(d)}</text>`);
    ly += 15;
  }
  if (serving.length) {
    out.push(`<line x1="${lx}" x2="${lx + 10}" y1="${ly + 5}" y2="${ly + 5}" stroke="#000" stroke-width="1.5" stroke-dasharray="3,2"/><text x="${lx + 14}" y="${ly + 9}">service serving</text>`);
    ly += 15;
  }
  ly = panelTop(0) + 4;
  for (const [label, color, dash] of [['rollout start', '#1f4e9c', '4,3'], ['rollout done', '#2ca02c', '4,3'], ['SIGKILL', '#d62728', '']] as const) {
    out.push(`<line x1="${lx}" x2="${lx + 10}" y1="${ly + 5}" y2="${ly + 5}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${lx + 14}" y="${ly + 9}">${label}</text>`);
    ly += 15;
  }
  out.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="#fff3c4"/><text x="${lx + 14}" y="${ly + 9}">deploy in progress</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
