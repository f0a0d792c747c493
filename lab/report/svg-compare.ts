import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RequestRecord } from '../../loadtest/records.js';
import type { RunTimeline } from '../engine/schema.js';
import type { StoredRun } from './load.js';
import { ERROR_CLASSES, perSecond } from './buckets.js';
import { CLASS_COLOR } from './svg-timeline.js';
import { esc, f1, maxOf, niceMax } from './svg.js';

// The picture for the README: before and after side by side on the same scales, errors per second
// by class above, ready and serving pods below, rollout starts marked. One run of each arm (rep 1 of
// the headline batch), read back from its stored requests and events.

const COL_W = 470;
const GAP_X = 40;
const LEFT = 50;
const TOP = 60;
const ERR_H = 140;
const PODS_H = 90;
const GAP_Y = 40;


interface Loaded { run: StoredRun; records: RequestRecord[]; timeline: RunTimeline }

export function loadRunData(resultsDir: string, run: StoredRun): Loaded | undefined {
  const dir = join(resultsDir, run.dir);
  const req = join(dir, 'requests.jsonl.gz');
  const ev = join(dir, 'events.json');
  if (!existsSync(req) || !existsSync(ev)) return undefined;
  const records = gunzipSync(readFileSync(req)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestRecord);
  return { run, records, timeline: JSON.parse(readFileSync(ev, 'utf8')) as RunTimeline };
}

function column(out: string[], d: Loaded, x0: number, seconds: number, errTop: number, podTop: number): void {
  const errStep = niceMax(errTop).step;
  const t0 = d.records.reduce((m, r) => Math.min(m, r.t_sched), Infinity);
  const x = (s: number) => x0 + (s / seconds) * COL_W;
  const buckets = perSecond(d.records, t0, seconds);
  const s = d.run.summary;
  out.push(`<text x="${x0}" y="${TOP - 28}" font-size="14" font-weight="bold">${esc(s.arm)} (${esc(s.levers.length ? 'all levers' : 'no levers')})</text>`);
  out.push(`<text x="${x0}" y="${TOP - 12}" fill="#555">${esc(`rep ${s.rep} · ${s.date.slice(0, 16).replace('T', ' ')} UTC · ${s.params.rate} req/s · ${s.params.deploys} deploys`)}</text>`);
  const errY = (v: number) => TOP + ERR_H - (Math.min(v, errTop) / errTop) * ERR_H;
  const podY0 = TOP + ERR_H + GAP_Y;
  const podY = (v: number) => podY0 + PODS_H - (Math.min(v, podTop) / podTop) * PODS_H;
  for (const [y0, h] of [[TOP, ERR_H], [podY0, PODS_H]] as const) out.push(`<rect x="${x0}" y="${y0}" width="${COL_W}" height="${h}" fill="none" stroke="#999"/>`);
  for (let v = 0; v <= errTop + 1e-9; v += errStep) out.push(`<text x="${x0 - 4}" y="${f1(errY(v) + 4)}" text-anchor="end" fill="#444">${f1(v)}</text>`);
  for (let v = 0; v <= podTop; v++) out.push(`<text x="${x0 - 4}" y="${f1(podY(v) + 4)}" text-anchor="end" fill="#444">${v}</text>`);
  const bw = Math.max(1, COL_W / seconds - 0.5);
  for (const b of buckets) {
    let acc = 0;
    for (const c of ERROR_CLASSES) {
      const n = b.counts[c];
      if (!n) continue;
      out.push(`<rect x="${f1(x(b.s))}" y="${f1(errY(acc + n))}" width="${f1(bw)}" height="${f1(Math.max(0.5, errY(acc) - errY(acc + n)))}" fill="${CLASS_COLOR[c]}"/>`);
      acc += n;
    }
  }
  if (buckets.every((b) => ERROR_CLASSES.every((c) => b.counts[c] === 0))) {
    out.push(`<text x="${x0 + COL_W / 2}" y="${TOP + ERR_H / 2}" text-anchor="middle" fill="#2ca02c" font-size="13">no failed requests</text>`);
  }
  const step = (pts: Array<{ t: number; v: number }>, color: string, dash = '') => {
    const line: string[] = [];
    let prev: number | undefined;
    for (const p of pts) {
      const px = x((p.t - t0) / 1000);
      if (p.t < t0 || px > x0 + COL_W) continue;
      if (prev !== undefined && prev !== p.v) line.push(`${f1(px)},${f1(podY(prev))}`);
      line.push(`${f1(px)},${f1(podY(p.v))}`);
      prev = p.v;
    }
    if (line.length) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${line.join(' ')}"/>`);
  };
  step(d.timeline.readySamples.map((r) => ({ t: r.t, v: r.ready.service ?? 0 })), '#2ca02c');
  step((d.timeline.servingSamples ?? []).map((r) => ({ t: r.t, v: r.serving.service ?? 0 })), '#000', '3,2');
  for (const e of d.timeline.events) {
    if (e.kind !== 'rollout-start' || e.deployment !== 'service' || e.t < t0) continue;
    const px = x((e.t - t0) / 1000);
    if (px <= x0 + COL_W) out.push(`<line x1="${f1(px)}" x2="${f1(px)}" y1="${TOP}" y2="${podY0 + PODS_H}" stroke="#1f4e9c" stroke-dasharray="4,3"/>`);
  }
  for (let sec = 0; sec <= seconds; sec += 10) out.push(`<text x="${f1(x(sec))}" y="${podY0 + PODS_H + 14}" text-anchor="middle" fill="#444">${sec}s</text>`);
}

/** Both columns share the x range (the longer run) and the y scales, so heights compare directly. */
export function renderCompare(before: Loaded, after: Loaded): string {
  const secs = (d: Loaded) => {
    const t0 = d.records.reduce((m, r) => Math.min(m, r.t_sched), Infinity);
    return Math.ceil((maxOf(d.records.map((r) => r.t_sched), t0) - t0) / 1000) + 1;
  };
  const seconds = Math.max(secs(before), secs(after), 1);
  const maxErr = Math.max(1, ...[before, after].flatMap((d) => {
    const t0 = d.records.reduce((m, r) => Math.min(m, r.t_sched), Infinity);
    return perSecond(d.records, t0, seconds).map((b) => ERROR_CLASSES.reduce((a, c) => a + b.counts[c], 0));
  }));
  const errTop = niceMax(maxErr).top;
  const podTop = Math.max(4, ...before.timeline.readySamples.map((r) => r.ready.service ?? 0), ...after.timeline.readySamples.map((r) => r.ready.service ?? 0));
  const W = LEFT + 2 * COL_W + GAP_X + 20;
  const H = TOP + ERR_H + GAP_Y + PODS_H + 70;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`, `<rect width="${W}" height="${H}" fill="#fff"/>`];
  column(out, before, LEFT, seconds, errTop, podTop);
  column(out, after, LEFT + COL_W + GAP_X, seconds, errTop, podTop);
  out.push(`<text x="${LEFT}" y="${TOP + ERR_H + 16}" fill="#444">errors/s by class (same scale in both)</text>`);
  out.push(`<text x="${LEFT}" y="${TOP + ERR_H + GAP_Y - 4}" fill="#444">service pods: ready (green), serving = accept a TCP connection (black, dashed)</text>`);
  let lx = LEFT;
  const ly = H - 18;
  for (const c of ERROR_CLASSES) {
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${CLASS_COLOR[c]}"/><text x="${lx + 13}" y="${ly}">${c}</text>`);
    lx += 13 + c.length * 6.5 + 12;
  }
  out.push(`<line x1="${lx}" x2="${lx + 14}" y1="${ly - 4}" y2="${ly - 4}" stroke="#1f4e9c" stroke-dasharray="4,3"/><text x="${lx + 18}" y="${ly}">rollout start (service)</text>`);
  out.push(`<text x="${LEFT}" y="${ly + 14}" fill="#444">x: seconds since the load started</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
