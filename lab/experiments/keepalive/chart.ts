import { Svg } from '../../report/svg.js';
import { IDLE_BUCKET_MS, IDLE_BUCKETS } from './count.js';
import { rateText, type KeepAliveRun, type KeepAliveSummary } from './summary.js';

// results/keepalive/chart.svg: one panel per run, the proxy's reused tries by how long their connection
// had been idle (log scale: almost every reuse is within half a second), the app's measured close and the
// tolerance band around it, and the races. The race can only happen where a bar meets the band.

const PANEL_W = 330;
const PANEL_H = 150;
const LEFT = 50;
const TOP = 72;
const GAP_X = 60;
const GAP_Y = 78;

function panel(svg: Svg, run: KeepAliveRun, x: number, y: number, toleranceMs: number): void {
  const maxN = Math.max(1, ...run.idleHistogram);
  const decades = Math.max(1, Math.ceil(Math.log10(maxN)));
  // log scale from 0.1 at the baseline, so that a single try is a bar one decade high
  const yOf = (n: number) => y + PANEL_H - ((Math.log10(n) + 1) / (decades + 1)) * PANEL_H;
  const spanMs = IDLE_BUCKETS * IDLE_BUCKET_MS;
  const xOf = (ms: number) => x + (Math.min(ms, spanMs) / spanMs) * PANEL_W;
  const races = run.rows.reduce((a, r) => a + r.races, 0);
  const reused = run.rows.reduce((a, r) => a + r.reused, 0);
  svg.text(x, y - 22, `${run.arm} at ${rateText(run.rate)}/s`, 'font-weight="bold"');
  svg.text(x, y - 8, `${reused} reused tries, ${races} keep-alive race(s)${run.closeMs === undefined ? '; no idle close seen' : ''}`, 'fill="#444"');
  for (let d = 0; d <= decades; d++) {
    svg.line(x, x + PANEL_W, yOf(10 ** d), yOf(10 ** d), '#ddd');
    svg.text(x - 6, yOf(10 ** d) + 4, String(10 ** d), 'text-anchor="end" fill="#444"');
  }
  if (run.closeMs !== undefined) {
    svg.rect(xOf(run.closeMs - toleranceMs), y, xOf(run.closeMs + toleranceMs) - xOf(run.closeMs - toleranceMs), PANEL_H, '#fde2e2', '', `within ${toleranceMs} ms of the app's close`);
    svg.line(xOf(run.closeMs), xOf(run.closeMs), y, y + PANEL_H, '#c62828', 'stroke-width="2"', `the app closes an idle connection after ${run.closeMs} ms`);
  }
  run.idleHistogram.forEach((n, i) => {
    if (n === 0) return;
    const x0 = xOf(i * IDLE_BUCKET_MS);
    const label = i === IDLE_BUCKETS - 1 ? `≥ ${(i * IDLE_BUCKET_MS) / 1000} s` : `${(i * IDLE_BUCKET_MS) / 1000}–${((i + 1) * IDLE_BUCKET_MS) / 1000} s`;
    svg.rect(x0 + 1, yOf(n), xOf((i + 1) * IDLE_BUCKET_MS) - x0 - 2, y + PANEL_H - yOf(n), '#1565c0', '', `${n} reused tries idle ${label}`);
  });
  for (const f of run.failedTries.filter((t) => t.race && t.idleMs !== null)) {
    svg.rect(xOf(f.idleMs!) - 3, y + PANEL_H - 8, 6, 6, '#c62828', '', `race: ${f.method} at ${(f.atMs / 1000).toFixed(1)} s into the load, idle ${f.idleMs} ms, ${f.answered ? 'the client got a 502' : 'retried by the proxy'}`);
  }
  svg.rect(x, y, PANEL_W, PANEL_H, 'none', 'stroke="#999"');
  for (let s = 0; s <= spanMs / 1000; s += 2) svg.text(xOf(s * 1000), y + PANEL_H + 14, `${s}`, 'text-anchor="middle" fill="#444"');
  svg.text(x + PANEL_W / 2, y + PANEL_H + 28, 'idle age of the reused connection, s', 'text-anchor="middle" fill="#444"');
}

export function keepAliveChart(s: KeepAliveSummary): string {
  const cols = 2;
  const rows = Math.ceil(s.runs.length / cols);
  const svg = new Svg(LEFT + cols * (PANEL_W + GAP_X), TOP + rows * (PANEL_H + GAP_Y));
  svg.text(LEFT, 18, 'The proxy\'s tries on a reused upstream connection, by how long it had been idle (log scale)', 'font-weight="bold"');
  svg.text(LEFT, 33, `red line: the app's measured idle close, ±${s.params.toleranceMs} ms shaded; red squares: keep-alive races`, 'fill="#444"');
  s.runs.forEach((run, i) => panel(svg, run, LEFT + (i % cols) * (PANEL_W + GAP_X), TOP + Math.floor(i / cols) * (PANEL_H + GAP_Y), s.params.toleranceMs));
  return svg.toString();
}
