import type { RunSummary } from '../engine/schema.js';
import type { Svg } from './svg.js';

// Timeline marks of the measured deregistration (lab/engine/deregistration.ts), one short row per
// terminating pod in the ready-pods panel: from "left the endpoints" (open square) to the last
// request routed to it (filled square), with the routing view's removal as a tick when known.

export const DEREG_COLOR = '#b8860b';

export function deregistrationMarks(svg: Svg, summary: RunSummary, xt: (t: number) => number, top: number, height: number): void {
  const pods = summary.deregistration?.pods ?? [];
  const rowH = Math.max(3, Math.min(8, (height - 8) / Math.max(1, pods.length)));
  pods.forEach((p, i) => {
    const y = top + 6 + i * rowH;
    const x0 = xt(p.leftAt);
    if (p.delayMs !== null) svg.line(x0, xt(p.leftAt + p.delayMs), y, y, DEREG_COLOR, 'stroke-width="1.5"');
    svg.rect(x0 - 2.5, y - 2.5, 5, 5, '#fff', `stroke="${DEREG_COLOR}"`, `${p.pod} left the endpoints`);
    if (p.routingStoppedAt !== null) {
      const xr = xt(p.routingStoppedAt);
      svg.line(xr, xr, y - 3, y + 3, '#555', '', `${p.pod} dropped by the routing view (+${p.routingStoppedAt - p.leftAt} ms)`);
    }
    if (p.delayMs !== null) {
      svg.rect(xt(p.leftAt + p.delayMs) - 3, y - 3, 6, 6, DEREG_COLOR, '', `${p.pod}: last routed request +${p.delayMs} ms after it left the endpoints`);
    }
  });
}

/** Legend entry, or nothing when the run carries no measurement. */
export function deregistrationLegend(svg: Svg, summary: RunSummary, lx: number, ly: number): void {
  if (!summary.deregistration?.pods.length) return;
  svg.rect(lx, ly + 2.5, 5, 5, '#fff', `stroke="${DEREG_COLOR}"`).rect(lx + 7, ly + 2, 6, 6, DEREG_COLOR);
  svg.text(lx + 16, ly + 9, 'left endpoints →').text(lx + 16, ly + 22, 'last routed request');
}
