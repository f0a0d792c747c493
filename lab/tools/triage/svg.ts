import type { Row } from './table.js';
import type { Spread } from './signatures.js';

// Hand-written SVG like lab/report's charts (no chart dependency): per signature, the p10–p90 range
// and median of when its failures happen, after the rollout step started and after the last SIGTERM.

const W = 1100;
const LABEL_W = 340;
const GAP = 50;
const PANEL_W = (W - LABEL_W - GAP - 20) / 2;
const ROW_H = 26;
const TOP = 92;
const COLOR: Record<string, string> = { http_502: '#d62728', http_503: '#ff7f0e', http_5xx_other: '#8c564b', reset: '#9467bd', refused: '#1f77b4', timeout: '#e377c2', other: '#7f7f7f' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function bar(x0: number, maxS: number, sp: Spread | null, y: number, color: string): string {
  if (!sp) return `<text x="${x0 + 4}" y="${y + 4}" font-size="11" fill="#888">no SIGTERM before it</text>`;
  const x = (ms: number) => x0 + (Math.min(ms / 1000, maxS) / maxS) * PANEL_W;
  return `<line x1="${x(sp.p10)}" x2="${x(sp.p90)}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="8" stroke-opacity="0.45"/>`
    + `<line x1="${x(sp.p50)}" x2="${x(sp.p50)}" y1="${y - 8}" y2="${y + 8}" stroke="${color}" stroke-width="3"/>`;
}

function axis(x0: number, maxS: number, y: number, title: string): string {
  const parts = [`<text x="${x0}" y="${TOP - 34}" font-size="12" font-weight="bold">${esc(title)}</text>`];
  for (let t = 0; t <= maxS; t += 2) {
    const x = x0 + (t / maxS) * PANEL_W;
    parts.push(`<line x1="${x}" x2="${x}" y1="${TOP - 14}" y2="${y}" stroke="#ddd"/>`, `<text x="${x}" y="${TOP - 16}" font-size="10" text-anchor="middle">${t} s</text>`);
  }
  return parts.join('');
}

export function triageSvg(rows: Row[], subtitle: string): string {
  const h = TOP + rows.length * ROW_H + 40;
  const maxS = 14;
  const x1 = LABEL_W;
  const x2 = LABEL_W + PANEL_W + GAP;
  const body = rows.map(({ sig, dx }, i) => {
    const y = TOP + i * ROW_H + ROW_H / 2;
    const c = COLOR[sig.cls] ?? '#333';
    return `<text x="8" y="${y + 4}" font-size="11">${esc(`${sig.arm}: ${sig.cls} · ${sig.path} (${sig.count})`)}`
      + `<tspan fill="#555">${esc(dx ? `\u00a0→ ${dx.lever}` : '')}</tspan></text>`
      + bar(x1, maxS, sig.sinceRolloutMs, y, c) + bar(x2, maxS, sig.sinceSigtermMs, y, c);
  });
  const bottom = TOP + rows.length * ROW_H;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif">`
    + `<rect width="100%" height="100%" fill="white"/>`
    + `<text x="8" y="18" font-size="15" font-weight="bold">When deploy-window failures happen (bar: p10–p90, tick: median; → the lever)</text>`
    + `<text x="8" y="34" font-size="11" fill="#555">${esc(subtitle)}</text>`
    + axis(x1, maxS, bottom, 'seconds after the service rollout step started') + axis(x2, maxS, bottom, 'seconds after the last SIGTERM to a service pod')
    + body.join('') + `</svg>\n`;
}
