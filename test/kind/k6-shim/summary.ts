import type { MetricStore, Sample } from './metrics.js';

// The handleSummary data of k6 v1 (the "legacy" layout: metrics[name] = {type, contains, values,
// thresholds}) from the shim's samples: one entry per metric, and one per tagged sub-metric a
// threshold names, as k6 does.

type Values = Record<string, number>;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

function valuesOf(m: MetricStore, samples: Sample[], durationS: number, trendStats: string[]): Values {
  const xs = samples.map((s) => s.value);
  const sum = xs.reduce((a, b) => a + b, 0);
  if (m.type === 'counter') return { count: sum, rate: durationS > 0 ? sum / durationS : 0 };
  if (m.type === 'rate') return { rate: xs.length ? xs.filter((x) => x !== 0).length / xs.length : 0, passes: xs.filter((x) => x !== 0).length, fails: xs.filter((x) => x === 0).length };
  if (m.type === 'gauge') return { value: xs.at(-1) ?? 0, min: Math.min(...xs, 0), max: Math.max(...xs, 0) };
  const sorted = [...xs].sort((a, b) => a - b);
  const v: Values = {};
  for (const stat of trendStats) {
    const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
    if (p) v[stat] = percentile(sorted, Number(p[1]));
    else if (stat === 'avg') v.avg = xs.length ? sum / xs.length : 0;
    else if (stat === 'min') v.min = sorted[0] ?? 0;
    else if (stat === 'max') v.max = sorted.at(-1) ?? 0;
    else if (stat === 'med') v.med = percentile(sorted, 50);
    else if (stat === 'count') v.count = xs.length;
  }
  return v;
}

/** `count<1`, `p(99)>=0`, `rate<0.01`: k6's threshold expressions of one aggregation. */
function holds(expr: string, v: Values): boolean {
  const m = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|<|>|===|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(expr);
  if (!m) throw new Error(`k6 shim: threshold "${expr}" is not <aggregation> <op> <number>`);
  const x = v[m[1]!];
  if (x === undefined) throw new Error(`k6 shim: threshold "${expr}" names ${m[1]}, which this metric does not have`);
  const n = Number(m[3]);
  switch (m[2]) {
    case '<': return x < n;
    case '<=': return x <= n;
    case '>': return x > n;
    case '>=': return x >= n;
    case '!=': return x !== n;
    default: return x === n;
  }
}

function parseKey(key: string): { name: string; tags: Record<string, string> } {
  const i = key.indexOf('{');
  if (i < 0) return { name: key, tags: {} };
  const tags: Record<string, string> = {};
  for (const part of key.slice(i + 1, -1).split(',')) {
    const j = part.indexOf(':');
    if (j > 0) tags[part.slice(0, j).trim()] = part.slice(j + 1).trim();
  }
  return { name: key.slice(0, i), tags };
}

export interface SummaryData { metrics: Record<string, unknown>; state: { testRunDurationMs: number }; root_group: object; options: object }

export function buildSummary(registry: Map<string, MetricStore>, thresholds: Record<string, string[]>, durationMs: number, trendStats: string[]): { data: SummaryData; crossed: boolean } {
  const durationS = durationMs / 1000;
  const metrics: Record<string, any> = {};
  let crossed = false;
  const entry = (m: MetricStore, samples: Sample[]) => ({ type: m.type, contains: m.isTime ? 'time' : 'default', values: valuesOf(m, samples, durationS, trendStats) });
  for (const [name, m] of registry) metrics[name] = entry(m, m.samples);
  for (const [key, exprs] of Object.entries(thresholds)) {
    const { name, tags } = parseKey(key);
    const m = registry.get(name);
    if (!m) throw new Error(`k6 shim: a threshold names metric ${name}, which the script never defines`);
    metrics[key] ??= entry(m, m.samples.filter((s) => Object.entries(tags).every(([k, v]) => s.tags[k] === v)));
    metrics[key].thresholds = {};
    for (const e of exprs) {
      const ok = holds(e, metrics[key].values);
      metrics[key].thresholds[e] = { ok };
      if (!ok) crossed = true;
    }
  }
  return { data: { metrics, state: { testRunDurationMs: durationMs }, root_group: { name: '', path: '', groups: [], checks: [] }, options: { summaryTrendStats: trendStats } }, crossed };
}
