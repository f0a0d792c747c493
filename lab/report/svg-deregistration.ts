import type { RunSummary } from '../engine/schema.js';

// Timeline marks of the measured deregistration (lab/engine/deregistration.ts), one short row per
// terminating pod in the ready-pods panel: from "left the endpoints" (open circle) to the last
// request routed to it (filled diamond), with the routing view's removal as a tick when known.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f1 = (n: number) => (Math.round(n * 10) / 10).toString();
export const DEREG_COLOR = '#b8860b';

export function deregistrationMarks(summary: RunSummary, xt: (t: number) => number, top: number, height: number): string[] {
  const pods = summary.deregistration?.pods ?? [];
  const out: string[] = [];
  const rowH = Math.max(3, Math.min(8, (height - 8) / Math.max(1, pods.length)));
  pods.forEach((p, i) => {
    const y = top + 6 + i * rowH;
    const x0 = xt(p.leftAt);
    out.push(`<circle cx="${f1(x0)}" cy="${f1(y)}" r="2.5" fill="#fff" stroke="${DEREG_COLOR}"><title>${esc(`${p.pod} left the endpoints`)}</title></circle>`);
    if (p.routingStoppedAt !== null) {
      const xr = xt(p.routingStoppedAt);
      out.push(`<line x1="${f1(xr)}" x2="${f1(xr)}" y1="${f1(y - 3)}" y2="${f1(y + 3)}" stroke="#555"><title>${esc(`${p.pod} dropped by the routing view (+${p.routingStoppedAt - p.leftAt} ms)`)}</title></line>`);
    }
    if (p.delayMs === null) return;
    const x1 = xt(p.leftAt + p.delayMs);
    out.push(`<line x1="${f1(x0)}" x2="${f1(x1)}" y1="${f1(y)}" y2="${f1(y)}" stroke="${DEREG_COLOR}" stroke-width="1.5"/>`);
    out.push(`<path d="M${f1(x1)},${f1(y - 3.5)} l3.5,3.5 l-3.5,3.5 l-3.5,-3.5 z" fill="${DEREG_COLOR}"><title>${esc(`${p.pod}: last routed request +${p.delayMs} ms after it left the endpoints`)}</title></path>`);
  });
  return out;
}

/** Legend entry, or nothing when the run carries no measurement. */
export function deregistrationLegend(summary: RunSummary, lx: number, ly: number): string[] {
  if (!summary.deregistration?.pods.length) return [];
  return [
    `<circle cx="${lx + 3}" cy="${ly + 5}" r="2.5" fill="#fff" stroke="${DEREG_COLOR}"/><path d="M${lx + 10},${ly + 1.5} l3.5,3.5 l-3.5,3.5 l-3.5,-3.5 z" fill="${DEREG_COLOR}"/><text x="${lx + 16}" y="${ly + 9}">left endpoints →</text>`,
    `<text x="${lx + 16}" y="${ly + 22}">last routed request</text>`,
  ];
}
