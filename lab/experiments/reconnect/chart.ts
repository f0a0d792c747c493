import type { Bucket } from './buckets.js';

// The chart of the experiment: both arms' reconnect curves overlaid, p99 underneath, then the
// receiving pods' event-loop delay; one time axis (seconds since the rolling restart began).

export interface ChartArm { name: string; color: string; buckets: Bucket[]; episodesMs: number[] }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const W = 1000; const L = 70; const R = 20; const PH = 150; const GAP = 46; const TOP = 72;

interface Panel { title: string; unit: string; value: (b: Bucket) => number }

const PANELS: Panel[] = [
  { title: 'reconnect attempts per second (dials started, per 100 ms bucket × 10)', unit: '/s', value: (b) => b.attempts * 10 },
  { title: 'reconnects completed per second (TCP + TLS handshake done, per 100 ms × 10)', unit: '/s', value: (b) => b.reconnects * 10 },
  { title: 'p99 latency of GET /fast by send time (ms, per 100 ms)', unit: 'ms', value: (b) => b.p99Ms },
  { title: 'event-loop delay, max over service pods (ms, per 100 ms scrape)', unit: 'ms', value: (b) => Math.max(0, ...Object.values(b.pods).map((p) => p.elMaxMs ?? 0)) },
];

export function reconnectChart(arms: ChartArm[], title: string, subtitle: string): string {
  const H = TOP + PANELS.length * (PH + GAP) + 10;
  const tMin = Math.min(0, ...arms.flatMap((a) => a.buckets.map((b) => b.t)));
  const tMax = Math.max(tMin + 1, ...arms.flatMap((a) => a.buckets.map((b) => b.t + 100)));
  const x = (t: number) => L + ((t - tMin) / (tMax - tMin)) * (W - L - R);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${L}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="${L}" y="38" fill="#555">${esc(subtitle)}</text>`,
    ...arms.map((a, i) => `<rect x="${L + i * 300}" y="48" width="14" height="3" fill="${a.color}"/><text x="${L + i * 300 + 20}" y="53" fill="${a.color}">${esc(a.name)}</text>`),
  ];
  PANELS.forEach((p, row) => {
    const y0 = TOP + row * (PH + GAP) + 14;
    const max = Math.max(1, ...arms.flatMap((a) => a.buckets.map(p.value))) * 1.1;
    const y = (v: number) => y0 + PH - (v / max) * PH;
    out.push(`<text x="${L}" y="${y0 - 6}" font-weight="bold">${esc(p.title)}</text>`);
    out.push(`<rect x="${L}" y="${y0}" width="${W - L - R}" height="${PH}" fill="none" stroke="#ccc"/>`);
    out.push(`<text x="${L - 6}" y="${y0 + 8}" text-anchor="end">${Math.round(max)}</text><text x="${L - 6}" y="${y0 + PH}" text-anchor="end">0</text>`);
    for (let s = Math.ceil(tMin / 5000) * 5; s * 1000 <= tMax; s += 5) out.push(`<line x1="${x(s * 1000).toFixed(1)}" x2="${x(s * 1000).toFixed(1)}" y1="${y0 + PH}" y2="${y0 + PH + 4}" stroke="#999"/><text x="${x(s * 1000).toFixed(1)}" y="${y0 + PH + 15}" text-anchor="middle" fill="#555">${s}s</text>`);
    arms.forEach((a) => {
      for (const e of a.episodesMs) out.push(`<line x1="${x(e).toFixed(1)}" x2="${x(e).toFixed(1)}" y1="${y0}" y2="${y0 + PH}" stroke="${a.color}" stroke-opacity="0.35" stroke-dasharray="3,3"/>`);
      const pts = a.buckets.map((b) => `${x(b.t + 50).toFixed(1)},${y(p.value(b)).toFixed(1)}`).join(' ');
      out.push(`<polyline fill="none" stroke="${a.color}" stroke-width="1.4" points="${pts}"/>`);
    });
  });
  out.push(`<text x="${W - R}" y="${H - 4}" text-anchor="end" fill="#555">seconds since the rolling restart began · dashed: a draining pod's first close</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
