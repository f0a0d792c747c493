// k6/metrics for the shim: every sample is kept with its tags, so run.ts can build the
// handleSummary data k6 would (values, and the sub-metrics its thresholds name).

export type MetricType = 'counter' | 'trend' | 'rate' | 'gauge';
export interface Sample { value: number; tags: Record<string, string> }
export interface MetricStore { type: MetricType; isTime: boolean; samples: Sample[] }

/** Every metric of the run by name, the builtin ones included (run.ts, http.ts add theirs). */
export const REGISTRY = new Map<string, MetricStore>();
/** Tags k6 adds to every sample of the running iteration (the scenario name). */
export const CURRENT_TAGS: Record<string, string> = {};

export function store(name: string, type: MetricType, isTime = false): MetricStore {
  let m = REGISTRY.get(name);
  if (!m) REGISTRY.set(name, (m = { type, isTime, samples: [] }));
  return m;
}

export function addSample(name: string, type: MetricType, value: number, tags: Record<string, string> | undefined, isTime = false): void {
  const t: Record<string, string> = { ...CURRENT_TAGS };
  for (const [k, v] of Object.entries(tags ?? {})) t[k] = String(v);
  store(name, type, isTime).samples.push({ value, tags: t });
}

class Metric {
  constructor(readonly name: string, private readonly type: MetricType, private readonly isTime: boolean) { store(name, type, isTime); }
  add(value: number | boolean, tags?: Record<string, string>): void { addSample(this.name, this.type, Number(value), tags, this.isTime); }
}

export class Counter extends Metric { constructor(name: string) { super(name, 'counter', false); } }
export class Trend extends Metric { constructor(name: string, isTime = false) { super(name, 'trend', isTime); } }
export class Rate extends Metric { constructor(name: string) { super(name, 'rate', false); } }
export class Gauge extends Metric { constructor(name: string) { super(name, 'gauge', false); } }
