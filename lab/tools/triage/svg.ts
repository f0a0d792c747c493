import type { Row } from './table.js';
import { MECHANISMS } from './mechanism.js';

// Hand-written SVG like lab/report's charts (no chart dependency): per arm and mechanism, the
// p10–p90 range and median of when its failures happen after the service rollout step started.

const W = 1100;
const LABEL_W = 470;
const PANEL_W = W - LABEL_W - 30;
const ROW_H = 26;
const TOP = 80;
const MAX_S = 14;
const COLOR: Record<string, string> = { sigkill: '#9467bd', outage: '#d62728', 'not-listening': '#ff7f0e', closed: '#1f77b4', 'not-listening-or-closed': '#17becf', 'keepalive-close': '#8c564b', 'budget-503': '#e377c2', unexplained: '#7f7f7f' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function triageSvg(rows: Row[], subtitle: string): string {
  const h = TOP + rows.length * ROW_H + 30;
  const x = (ms: number) => LABEL_W + (Math.min(Math.max(ms, 0) / 1000, MAX_S) / MAX_S) * PANEL_W;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    '<text x="8" y="18" font-size="15" font-weight="bold">When failed requests happen, by mechanism (bar: p10–p90, tick: median)</text>',
    `<text x="8" y="34" font-size="11" fill="#555">${esc(subtitle)}</text>`,
    `<text x="${LABEL_W}" y="${TOP - 30}" font-size="12" font-weight="bold">seconds after the service rollout step started</text>`];
  for (let t = 0; t <= MAX_S; t += 2) parts.push(`<line x1="${x(t * 1000)}" x2="${x(t * 1000)}" y1="${TOP - 14}" y2="${TOP + rows.length * ROW_H}" stroke="#ddd"/>`, `<text x="${x(t * 1000)}" y="${TOP - 16}" font-size="10" text-anchor="middle">${t} s</text>`);
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H + ROW_H / 2;
    const c = COLOR[r.mechanism] ?? '#333';
    parts.push(`<text x="8" y="${y + 4}" font-size="11">${esc(`${r.arm}: ${MECHANISMS[r.mechanism].label} (${r.failed})`)}</text>`);
    const sp = r.sinceRolloutMs;
    if (sp) parts.push(`<line x1="${x(sp.p10)}" x2="${x(sp.p90)}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="8" stroke-opacity="0.45"/>`, `<line x1="${x(sp.p50)}" x2="${x(sp.p50)}" y1="${y - 8}" y2="${y + 8}" stroke="${c}" stroke-width="3"/>`);
  });
  parts.push('</svg>');
  return `${parts.join('')}\n`;
}
