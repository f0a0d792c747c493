import type { RequestRecord } from '../../loadtest/records.js';
import type { RunSummary, RunTimeline } from '../engine/schema.js';
import { ERROR_CLASSES, perSecond, type SecondBucket } from './buckets.js';
import { maxOf, niceMax, Svg } from './svg.js';
import { deregistrationLegend, deregistrationMarks } from './svg-deregistration.js';
import { failures } from './summarize.js';
import { rawFailures, resent } from './client-counts.js';

// The timeline of one run: four panels sharing one time axis, so the moment a rollout event
// happens can be read straight across errors, throughput, latency and capacity.

const W = 1000;
const LEFT = 70;
const RIGHT = 150; // legend column
const PANEL_H = 120;
const GAP = 34;
const TOP = 76;
const PLOT_W = W - LEFT - RIGHT;
const PANELS = ['requests/s', 'errors/s by class', 'p99 latency (ms) per second, excluding /slow', 'ready pods (solid) and serving pods: accept a TCP connection (dashed)'];
/** the last panel's title when the run had no serving probe (`check`, runs of older code) */
const READY_ONLY = 'ready pods, and endpoints in the routing view';

export const CLASS_COLOR: Record<string, string> = {
  http_502: '#d62728', http_503: '#ff7f0e', http_5xx_other: '#8c564b', reset: '#9467bd',
  refused: '#1f77b4', timeout: '#e377c2', other: '#7f7f7f',
};
const DEPLOY_COLOR: Record<string, string> = { service: '#2ca02c', worker: '#17becf' };
/** For series with other names (a user's Deployment under `check`): told apart by position. */
const OTHER_COLORS = ['#2ca02c', '#17becf', '#bcbd22', '#7f7f7f'];
const seriesColor = (d: string, i: number) => DEPLOY_COLOR[d] ?? OTHER_COLORS[i % OTHER_COLORS.length]!;

export interface TimelineInput {
  records: readonly RequestRecord[];
  timeline: RunTimeline;
  summary: RunSummary;
}

/** The chart's frame: time zero, end, and the mapping of times and values to coordinates. */
interface Frame {
  svg: Svg;
  t0: number;
  tEnd: number;
  seconds: number;
  x: (tSec: number) => number;
  xt: (t: number) => number;
  top: (panel: number) => number;
  y: (panel: number, v: number, top: number) => number;
}

function frame(records: readonly RequestRecord[], timeline: RunTimeline): Frame {
  // time zero is the first scheduled request (the start of the load), not the cluster's boot
  let firstSched = Infinity;
  let lastSched = -Infinity;
  for (const r of records) {
    if (r.t_sched < firstSched) firstSched = r.t_sched;
    if (r.t_sched > lastSched) lastSched = r.t_sched;
  }
  const t0 = Number.isFinite(firstSched) ? firstSched : (timeline.phases[0]?.start ?? Date.now());
  const tEnd = maxOf([lastSched, ...timeline.phases.map((p) => p.end || p.start)], t0 + 1000);
  const seconds = Math.ceil((tEnd - t0) / 1000);
  const x = (tSec: number) => LEFT + (tSec / seconds) * PLOT_W;
  const top = (i: number) => TOP + i * (PANEL_H + GAP);
  return {
    svg: new Svg(W, TOP + PANELS.length * (PANEL_H + GAP) + 30), t0, tEnd, seconds, x, top,
    xt: (t) => x((t - t0) / 1000),
    y: (i, v, max) => top(i) + PANEL_H - (Math.min(v, max) / max) * PANEL_H,
  };
}

function header(f: Frame, s: RunSummary, timeline: RunTimeline): void {
  f.svg.text(LEFT, 20, `${s.arm} · rep ${s.rep} · ${s.target} · ${s.params.rate} req/s · ${s.params.deploys} deploys · propagation ${s.params.propagationDelayMs ?? 'n/a'} ms`, 'font-size="14" font-weight="bold"');
  // jobs only where there is a ledger (check has none: its jobs block is all zeros)
  const jobs = s.jobs.accepted > 0 ? ` · jobs lost ${s.jobs.lost} / duplicated ${s.jobs.duplicated}` : '';
  // the client's view, then what it hid (runs that recorded a client whose resends they count)
  const seen = s.client?.rawTotalCounts ? ` as ${s.client.name} saw them, ${rawFailures(s, 'window')} raw, ${resent(s, 'window')} resent` : '';
  f.svg.text(LEFT, 38, `${s.date} · commit ${s.commit.slice(0, 12)} · deploy window: ${failures(s.windowCounts)} failed (${(s.windowErrorRate * 100).toFixed(2)} %)${seen} · SIGKILLs ${s.sigkills}${jobs}`, 'fill="#555"');
  // phase bands (deploy windows shaded) behind every panel
  for (const p of timeline.phases) {
    const deploy = p.name.startsWith('deploy'); // 'deploy', or check's 'deploy 1/2'
    if (!deploy && p.name !== 'baseline') continue;
    const x1 = f.xt(Math.max(f.t0, p.start));
    const x2 = f.xt(p.end || f.tEnd);
    for (let i = 0; i < PANELS.length; i++) f.svg.rect(x1, f.top(i), Math.max(1, x2 - x1), PANEL_H, deploy ? '#fff3c4' : '#eef3f8');
    f.svg.text(x1 + 2, TOP - 22, p.name, 'fill="#777" font-size="9"');
  }
}

function axis(f: Frame, i: number, top: number, step: number, title = PANELS[i]!): void {
  f.svg.panel({ x: LEFT, y: f.top(i), w: PLOT_W, h: PANEL_H, title, top, step });
}

function requestPanels(f: Frame, buckets: SecondBucket[]): void {
  const rq = niceMax(maxOf(buckets.map((b) => b.requests), 1));
  axis(f, 0, rq.top, rq.step);
  f.svg.polyline(buckets.map((b) => [f.x(b.s + 0.5), f.y(0, b.requests, rq.top)]), '#333');

  const errorsAt = (b: SecondBucket) => ERROR_CLASSES.reduce((s, c) => s + b.counts[c], 0);
  const er = niceMax(maxOf(buckets.map(errorsAt), 1));
  axis(f, 1, er.top, er.step);
  const bw = Math.max(1, PLOT_W / f.seconds - 1);
  for (const b of buckets) {
    let acc = 0;
    for (const c of ERROR_CLASSES) {
      const n = b.counts[c];
      if (!n) continue;
      const y1 = f.y(1, acc + n, er.top);
      f.svg.rect(f.x(b.s), y1, bw, Math.max(0.5, f.y(1, acc, er.top) - y1), CLASS_COLOR[c]!, '', `${b.s}s ${c}: ${n}`);
      acc += n;
    }
  }
  if (buckets.every((b) => errorsAt(b) === 0)) f.svg.text(LEFT + PLOT_W / 2, f.top(1) + PANEL_H / 2, 'no failed requests', 'text-anchor="middle" fill="#2ca02c" font-size="13"');

  const pq = niceMax(maxOf(buckets.map((b) => b.p99Ms), 1));
  axis(f, 2, pq.top, pq.step);
  f.svg.polyline(buckets.filter((b) => b.requests > 0).map((b) => [f.x(b.s + 0.5), f.y(2, b.p99Ms, pq.top)]), '#d62728');
}

/** Ready pods per Deployment as step lines; returns the Deployments drawn (for the legend). */
function readyPanel(f: Frame, timeline: RunTimeline): string[] {
  const deployments = [...new Set(timeline.readySamples.flatMap((s) => Object.keys(s.ready)))];
  // serving can exceed ready (a terminating pod still accepts during preStop): one scale for both
  const rp = niceMax(maxOf([...timeline.readySamples.flatMap((s) => Object.values(s.ready)), ...(timeline.servingSamples ?? []).flatMap((s) => Object.values(s.serving))], 1), 4);
  axis(f, 3, Math.max(rp.top, 1), 1, timeline.servingSamples?.length ? PANELS[3] : READY_ONLY);
  for (const [i, d] of deployments.entries()) {
    const pts: Array<[number, number]> = [];
    let prev: number | undefined;
    for (const s of timeline.readySamples) {
      if (s.t < f.t0 || s.t > f.tEnd) continue;
      const v = s.ready[d] ?? 0;
      if (prev !== undefined && v !== prev) pts.push([f.xt(s.t), f.y(3, prev, rp.top)]);
      pts.push([f.xt(s.t), f.y(3, v, rp.top)]);
      prev = v;
    }
    if (pts.length) f.svg.polyline(pts, seriesColor(d, i), 2);
  }
  servingLine(f, timeline, rp.top);
  return deployments;
}

/** Service pods accepting a TCP connection (lab/engine/serving-probe.ts), dashed: below the ready line when Ready overstates capacity. */
function servingLine(f: Frame, timeline: RunTimeline, top: number): void {
  const pts: Array<[number, number]> = [];
  let prev: number | undefined;
  for (const s of timeline.servingSamples ?? []) {
    if (s.t < f.t0 || s.t > f.tEnd) continue;
    // one Deployment is probed: the lab's `service`, or the Deployment `check` rolls
    const v = Object.values(s.serving).reduce((a, b) => a + b, 0);
    if (prev !== undefined && v !== prev) pts.push([f.xt(s.t), f.y(3, prev, top)]);
    pts.push([f.xt(s.t), f.y(3, v, top)]);
    prev = v;
  }
  if (pts.length) f.svg.polyline(pts, '#000', 1.5, 'stroke-dasharray="3,2"');
}

function eventsAndAxis(f: Frame, timeline: RunTimeline): void {
  const bottom = f.top(PANELS.length - 1) + PANEL_H;
  for (const e of timeline.events) {
    if (e.t < f.t0 || e.t > f.tEnd) continue;
    const at = f.xt(e.t);
    if (e.kind === 'rollout-start' || e.kind === 'rollout-done') {
      f.svg.line(at, at, TOP, bottom, e.kind === 'rollout-start' ? '#1f4e9c' : '#2ca02c', 'stroke-dasharray="4,3"', `${e.kind} ${e.deployment ?? ''}`);
    } else if (e.kind === 'sigkill') {
      f.svg.line(at, at, TOP, bottom, '#d62728', 'stroke-width="1.5"', `SIGKILL ${e.pod ?? ''}`);
    }
  }
  const xs = niceMax(f.seconds, 10);
  for (let s = 0; s <= f.seconds; s += xs.step) {
    f.svg.line(f.x(s), f.x(s), bottom, bottom + 4, '#444');
    f.svg.text(f.x(s), bottom + 16, `${s}s`, 'text-anchor="middle" fill="#444"');
  }
  f.svg.text(LEFT + PLOT_W / 2, bottom + 28, 'seconds since the load started (requests by scheduled send time)', 'text-anchor="middle" fill="#444"');
}

/** `serving`: the probed Deployment(s), empty when the run had no serving probe. */
function legend(f: Frame, deployments: string[], serving: string[]): void {
  const lx = LEFT + PLOT_W + 16;
  const key = (y: number, color: string, label: string, dash = '', box = false) => {
    if (box) f.svg.rect(lx, y, 10, 10, color);
    else f.svg.line(lx, lx + 10, y + 5, y + 5, color, `stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}`);
    f.svg.text(lx + 14, y + 9, label);
  };
  ERROR_CLASSES.forEach((c, i) => key(f.top(1) + 4 + i * 15, CLASS_COLOR[c]!, c, '', true));
  deployments.forEach((d, i) => key(f.top(3) + 4 + i * 15, seriesColor(d, i), d));
  if (serving.length) key(f.top(3) + 4 + deployments.length * 15, '#000', `${serving.join(' + ')} serving`, '3,2');
  const events = [['rollout start', '#1f4e9c', '4,3'], ['rollout done', '#2ca02c', '4,3'], ['SIGKILL', '#d62728', '']] as const;
  events.forEach(([label, color, dash], i) => key(f.top(0) + 4 + i * 15, color, label, dash));
  key(f.top(0) + 4 + events.length * 15, '#fff3c4', 'deploy in progress', '', true);
}

export function renderTimeline({ records, timeline, summary }: TimelineInput): string {
  const f = frame(records, timeline);
  header(f, summary, timeline);
  requestPanels(f, perSecond(records, f.t0, f.seconds));
  const deployments = readyPanel(f, timeline);
  deregistrationMarks(f.svg, summary, f.xt, f.top(3), PANEL_H);
  eventsAndAxis(f, timeline);
  legend(f, deployments, [...new Set((timeline.servingSamples ?? []).flatMap((s) => Object.keys(s.serving)))]);
  deregistrationLegend(f.svg, summary, LEFT + PLOT_W + 16, f.top(3) + 8 + deployments.length * 15);
  return f.svg.toString();
}
