import type { ArmRun } from './arm.js';
import type { StreamStats, UploadStats } from './stats.js';
import { csvCell } from '../../report/csv.js';

// Table and chart of results/long-lived/. The SVG is hand-written like the other experiments'
// charts (no chart dependency in the project).

export interface ArmStats {
  arm: string;
  deregistrationS: number;
  preStopSleepSeconds: number | null;
  terminationGracePeriodSeconds: number;
  shutdownDeadlineMs: number | null;
  deploys: number;
  deployWallS: number;
  armWallS: number;
  sse: StreamStats;
  ws: StreamStats;
  uploads: UploadStats;
  sigkills: number;
}

interface Row { label: string; value: (s: ArmStats) => string }
const ms = (n: number | null) => (n === null ? '–' : `${Math.round(n)} ms`);
const both = (f: (x: StreamStats) => number) => (s: ArmStats) => `${f(s.sse)} / ${f(s.ws)}`;

const ROWS: Row[] = [
  { label: 'deregistration delay (new connections still routed to a terminating pod)', value: (s) => `${s.deregistrationS} s` },
  { label: 'preStop sleep / grace period / drain deadline', value: (s) => `${s.preStopSleepSeconds ?? 'none'} / ${s.terminationGracePeriodSeconds} s / ${s.shutdownDeadlineMs === null ? 'off' : `${s.shutdownDeadlineMs} ms`}` },
  { label: 'rolling deploys (wall time of the deploys, of the arm)', value: (s) => `${s.deploys} (${s.deployWallS} s, ${s.armWallS} s)` },
  { label: 'clients SSE / WS', value: both((x) => x.clients) },
  { label: 'events delivered SSE / WS', value: both((x) => x.delivered) },
  { label: 'events lost (id gap) SSE / WS', value: both((x) => x.lost) },
  { label: 'clients with a loss SSE / WS', value: both((x) => x.clientsWithLoss) },
  { label: 'events duplicated (id twice) SSE / WS', value: both((x) => x.duplicated) },
  { label: 'streams closed cleanly (reconnect signal) SSE / WS', value: both((x) => x.closedClean) },
  { label: 'streams cut SSE / WS', value: both((x) => x.cut) },
  { label: 'failed connection attempts SSE / WS', value: both((x) => x.failedAttempts) },
  { label: 'EventSource given up (non-200) and recreated without Last-Event-ID', value: (s) => String(s.sse.freshRestarts) },
  { label: 'reconnect gap p50 / p99 / max (SSE)', value: (s) => `${ms(s.sse.gapP50Ms)} / ${ms(s.sse.gapP99Ms)} / ${ms(s.sse.gapMaxMs)}` },
  { label: 'reconnect gap p50 / p99 / max (WS)', value: (s) => `${ms(s.ws.gapP50Ms)} / ${ms(s.ws.gapP99Ms)} / ${ms(s.ws.gapMaxMs)}` },
  { label: 'uploads started', value: (s) => String(s.uploads.started) },
  { label: 'uploads completed (bytes and sha256 acknowledged)', value: (s) => String(s.uploads.completed) },
  { label: 'uploads cut mid-body', value: (s) => String(s.uploads.cutMidBody) },
  { label: 'uploads refused with 503 + Retry-After (before the body)', value: (s) => `${s.uploads.refused} (${s.uploads.refusedBeforeBody})` },
  { label: 'refused uploads whose retry after Retry-After succeeded', value: (s) => `${s.uploads.retriedOk} of ${s.uploads.refused}` },
  { label: 'uploads failed to connect (no body sent)', value: (s) => String(s.uploads.connectFailed) },
  { label: 'uploads with another error / corrupt ack', value: (s) => `${s.uploads.otherErrors} / ${s.uploads.corrupt}` },
  { label: 'pods SIGKILLed at the end of their grace period', value: (s) => String(s.sigkills) },
];

export function markdownTable(stats: ArmStats[]): string {
  const head = `| metric | ${stats.map((s) => s.arm).join(' | ')} |`;
  const sep = `|---|${stats.map(() => '---:').join('|')}|`;
  return [head, sep, ...ROWS.map((r) => `| ${r.label} | ${stats.map(r.value).join(' | ')} |`)].join('\n');
}

export function csvTable(stats: ArmStats[]): string {
  return [['metric', ...stats.map((s) => s.arm)].map(csvCell).join(','), ...ROWS.map((r) => [r.label, ...stats.map(r.value)].map(csvCell).join(','))].join('\n') + '\n';
}

const W = 960;
const PANEL_H = 170;
const GAP_H = 110;
const L = 60;
const R = 20;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** One arm: open streams per pod over time (terminating stretch dashed) with rollout marks, then every reconnect gap as a dot. */
function armPanel(run: ArmRun, top: number): string {
  const t0 = run.startedAt;
  const span = Math.max(1, run.stopAt - t0);
  const x = (t: number) => L + ((t - t0) / span) * (W - L - R);
  const pods = [...new Set(run.samples.map((s) => s.pod))];
  const maxStreams = Math.max(1, ...run.samples.map((s) => s.sse + s.ws));
  const y = (v: number) => top + 20 + PANEL_H - (v / maxStreams) * PANEL_H;
  const out: string[] = [`<text x="${L}" y="${top + 12}" font-size="13" font-weight="bold">${esc(run.arm)}: open streams per pod (dashed: terminating, dotted: to 0 at exit, ticks: SIGTERM grey / SIGKILL red)</text>`];
  for (const d of run.deploys) out.push(`<rect x="${x(d.start)}" y="${top + 20}" width="${Math.max(1, x(d.end) - x(d.start))}" height="${PANEL_H}" fill="#000" opacity="0.08"/><text x="${x(d.start) + 2}" y="${top + 32}" font-size="10">deploy ${d.n}</text>`);
  for (const e of run.events) if (e.kind === 'sigterm' || e.kind === 'sigkill') out.push(`<line x1="${x(e.t)}" x2="${x(e.t)}" y1="${top + 20 + PANEL_H - 6}" y2="${top + 20 + PANEL_H}" stroke="${e.kind === 'sigkill' ? '#d62728' : '#555'}"/>`);
  pods.forEach((pod, i) => {
    const pts = run.samples.filter((s) => s.pod === pod);
    const color = COLORS[i % COLORS.length];
    for (let j = 1; j < pts.length; j++) {
      const a = pts[j - 1]!, b = pts[j]!;
      out.push(`<line x1="${x(a.t).toFixed(1)}" y1="${y(a.sse + a.ws).toFixed(1)}" x2="${x(b.t).toFixed(1)}" y2="${y(b.sse + b.ws).toFixed(1)}" stroke="${color}" stroke-width="1.5"${b.terminating ? ' stroke-dasharray="4 3"' : ''}/>`);
    }
    // Once its listener closes a pod can no longer be scraped: a dotted drop from its last sample to 0 at its exit.
    const exit = run.events.find((e) => e.kind === 'pod-exit' && e.pod === pod);
    const last = pts.at(-1);
    if (exit && last && exit.t >= last.t) out.push(`<line x1="${x(last.t).toFixed(1)}" y1="${y(last.sse + last.ws).toFixed(1)}" x2="${x(exit.t).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="${color}" stroke-width="1" stroke-dasharray="1 3"/>`);
  });
  out.push(`<line x1="${L}" x2="${W - R}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/><text x="${L - 6}" y="${y(maxStreams) + 4}" font-size="10" text-anchor="end">${maxStreams}</text><text x="${L - 6}" y="${y(0)}" font-size="10" text-anchor="end">0</text>`);
  const gTop = top + 40 + PANEL_H;
  const gaps = run.streams.flatMap((r) => r.gaps.map((g) => ({ ...g, kind: r.kind })));
  const maxGap = Math.max(1000, ...gaps.map((g) => g.ms));
  const gy = (v: number) => gTop + GAP_H - (Math.log10(1 + v) / Math.log10(1 + maxGap)) * GAP_H;
  out.push(`<text x="${L}" y="${gTop - 4}" font-size="11">reconnect gaps: stream end → next stream open (log scale, ● SSE ◆ WS), up to ${Math.round(maxGap)} ms</text>`);
  for (const g of gaps) {
    out.push(g.kind === 'sse'
      ? `<circle cx="${x(g.at).toFixed(1)}" cy="${gy(g.ms).toFixed(1)}" r="1.6" fill="#1f77b4" opacity="0.5"/>`
      : `<rect x="${(x(g.at) - 2).toFixed(1)}" y="${(gy(g.ms) - 2).toFixed(1)}" width="4" height="4" fill="#d62728" opacity="0.6" transform="rotate(45 ${x(g.at).toFixed(1)} ${gy(g.ms).toFixed(1)})"/>`);
  }
  out.push(`<line x1="${L}" x2="${W - R}" y1="${gy(0)}" y2="${gy(0)}" stroke="#333"/>`);
  const step = [10, 30, 60, 120, 300].find((st) => span / 1000 / st <= 12) ?? 600;
  for (let t = 0; t <= span / 1000; t += step) out.push(`<line x1="${x(t0 + t * 1000)}" x2="${x(t0 + t * 1000)}" y1="${gy(0)}" y2="${gy(0) + 4}" stroke="#333"/><text x="${x(t0 + t * 1000)}" y="${gy(0) + 15}" font-size="10" text-anchor="middle">${t} s</text>`);
  return out.join('\n');
}

export function chartSvg(runs: ArmRun[], title: string): string {
  const block = PANEL_H + GAP_H + 80;
  const h = 30 + runs.length * block;
  const body = runs.map((r, i) => armPanel(r, 30 + i * block)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n<text x="${L}" y="18" font-size="14">${esc(title)}</text>\n${body}\n</svg>\n`;
}
