import { failures } from '../../report/summarize.js';
import { niceMax, Svg } from '../../report/svg.js';
import type { ClientsRun, ClientsSummary } from './summary.js';

// results/clients/chart.svg: one panel per arm; per run, the raw failures of the deploy window (grey,
// what a client without resends reports) and the failures the run's client saw (coloured). The gap
// between the two bars of a `go` run is what Go's resends hid.

const PANEL_W = 330;
const PANEL_H = 170;
const LEFT = 60;
const TOP = 70;
const GAP_X = 70;
const COLOUR = { go: '#1565c0', node: '#ef6c00' } as const;

function panel(svg: Svg, arm: string, runs: readonly ClientsRun[], x: number, y: number): void {
  // counts: at least 4 on the axis, so a panel of zeros does not get fractional ticks
  const { top, step } = niceMax(Math.max(4, ...runs.map((r) => failures(r.window.raw))));
  svg.panel({ x, y, w: PANEL_W, h: PANEL_H, title: `${arm}: failed in the deploy window`, top, step });
  const slot = PANEL_W / Math.max(1, runs.length);
  const bar = Math.min(28, slot / 3);
  const yOf = (n: number) => y + PANEL_H - (n / top) * PANEL_H;
  runs.forEach((r, i) => {
    const cx = x + slot * (i + 0.5);
    const raw = failures(r.window.raw);
    const seen = failures(r.window.seen);
    svg.rect(cx - bar - 1, yOf(raw), bar, y + PANEL_H - yOf(raw), '#bdbdbd', '', `${r.client} rep ${r.rep}: ${raw} raw failures (first attempts)`);
    svg.rect(cx + 1, yOf(seen), bar, y + PANEL_H - yOf(seen), COLOUR[r.client], '', `${r.client} rep ${r.rep}: ${seen} failures as the client saw them (${r.window.resent} resent)`);
    svg.text(cx - bar / 2, yOf(raw) - 3, String(raw), 'text-anchor="middle" fill="#444"');
    svg.text(cx + bar / 2 + 1, yOf(seen) - 3, String(seen), 'text-anchor="middle" fill="#444"');
    svg.text(cx, y + PANEL_H + 14, `${r.client}${runs.length > 2 ? ` #${r.rep}` : ''} (${r.window.requests} requests)`, 'text-anchor="middle" fill="#444"');
  });
}

export function clientsChart(s: ClientsSummary): string {
  const svg = new Svg(LEFT + s.params.arms.length * (PANEL_W + GAP_X), TOP + PANEL_H + 50);
  svg.text(LEFT, 18, 'Failures as the client saw them, beside the raw count under them', 'font-weight="bold"');
  svg.text(LEFT, 33, 'grey: raw (each request by its first attempt); blue: the go client (resends as Go\'s Transport); orange: node (resends nothing)', 'fill="#444"');
  s.params.arms.forEach((arm, i) => panel(svg, arm, s.runs.filter((r) => r.arm === arm), LEFT + i * (PANEL_W + GAP_X), TOP));
  return svg.toString();
}
