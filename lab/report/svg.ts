// The one SVG writer of the lab's charts (run timelines, reload-vs-restart). Hand-written on
// purpose: a chart is a few hundred elements, and a charting package would bring a DOM or a
// headless browser to the lab for what a string builder does.

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** One decimal, no trailing zeros: short coordinates. */
export const f1 = (n: number): string => (Math.round(n * 10) / 10).toString();

/** 1, 2, 5 × 10^k step giving about `ticks` gridlines. */
export function niceMax(max: number, ticks = 4): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

/** Largest value of a long series without spreading it into Math.max (stack overflow at ~10^5). */
export function maxOf(values: Iterable<number>, floor = 0): number {
  let m = floor;
  for (const v of values) if (v > m) m = v;
  return m;
}

export class Svg {
  private readonly parts: string[] = [];

  constructor(readonly width: number, readonly height: number) {
    this.parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
    this.parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  }

  /** Text; `attrs` is raw attribute text (e.g. `text-anchor="end" fill="#444"`). */
  text(x: number, y: number, s: string, attrs = ''): this {
    this.parts.push(`<text x="${f1(x)}" y="${f1(y)}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`);
    return this;
  }

  line(x1: number, x2: number, y1: number, y2: number, stroke: string, attrs = '', title?: string): this {
    const open = `<line x1="${f1(x1)}" x2="${f1(x2)}" y1="${f1(y1)}" y2="${f1(y2)}" stroke="${stroke}"${attrs ? ` ${attrs}` : ''}`;
    this.parts.push(title === undefined ? `${open}/>` : `${open}><title>${esc(title)}</title></line>`);
    return this;
  }

  rect(x: number, y: number, w: number, h: number, fill: string, attrs = '', title?: string): this {
    const open = `<rect x="${f1(x)}" y="${f1(y)}" width="${f1(w)}" height="${f1(h)}" fill="${fill}"${attrs ? ` ${attrs}` : ''}`;
    this.parts.push(title === undefined ? `${open}/>` : `${open}><title>${esc(title)}</title></rect>`);
    return this;
  }

  polyline(points: ReadonlyArray<readonly [number, number]>, stroke: string, width = 1.5, attrs = ''): this {
    this.parts.push(`<polyline fill="none" stroke="${stroke}" stroke-width="${width}"${attrs ? ` ${attrs}` : ''} points="${points.map(([a, b]) => `${f1(a)},${f1(b)}`).join(' ')}"/>`);
    return this;
  }

  /** A panel frame with a bold title above it and horizontal gridlines every `step` up to `top`. */
  panel(p: { x: number; y: number; w: number; h: number; title: string; top: number; step: number; unit?: string }): this {
    this.text(p.x, p.y - 6, p.title, 'font-weight="bold"');
    for (let v = 0; v <= p.top + 1e-9; v += p.step) {
      const y = p.y + p.h - (v / p.top) * p.h;
      this.line(p.x, p.x + p.w, y, y, '#ddd');
      this.text(p.x - 6, y + 4, `${f1(v)}${p.unit ?? ''}`, 'text-anchor="end" fill="#444"');
    }
    return this.rect(p.x, p.y, p.w, p.h, 'none', 'stroke="#999"');
  }

  toString(): string {
    return `${this.parts.join('\n')}\n</svg>\n`;
  }
}
