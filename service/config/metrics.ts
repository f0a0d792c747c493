import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import type { StoreObserver } from './store.js';

// Reuses an already registered metric so two plugin instances on one registry (tests, bench)
// share a series instead of throwing "metric already registered".
function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function configMetrics(registry: Registry = globalRegistry): StoreObserver {
  const registers = [registry];
  const reloads = once(registry, 'lab_config_reloads_total', () => new Counter({
    name: 'lab_config_reloads_total', help: 'Config reload attempts by result (success, failure, unchanged)', labelNames: ['result'], registers,
  }));
  const version = once(registry, 'lab_config_active_version', () => new Gauge({
    name: 'lab_config_active_version', help: 'Version number of the config new requests get', registers,
  }));
  const awaiting = once(registry, 'lab_config_awaiting_retirement', () => new Gauge({
    name: 'lab_config_awaiting_retirement', help: 'Replaced configs still held by in-flight requests', registers,
  }));
  const retired = once(registry, 'lab_config_retired_total', () => new Counter({
    name: 'lab_config_retired_total', help: 'Replaced configs released by their last request', registers,
  }));
  const swap = once(registry, 'lab_config_swap_duration_seconds', () => new Histogram({
    name: 'lab_config_swap_duration_seconds', help: 'Event-loop part of a successful reload: freeze the parsed config and swap the reference (parsing runs on a worker thread)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25], registers,
  }));
  const total = once(registry, 'lab_config_reload_duration_seconds', () => new Histogram({
    name: 'lab_config_reload_duration_seconds', help: 'Whole reload, trigger handled to swap or refusal: read, parse and validate (worker thread) plus the swap',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers,
  }));
  for (const r of ['success', 'failure', 'unchanged']) reloads.labels(r).inc(0);
  version.set(1);
  return {
    reload(o) {
      reloads.labels(o.result).inc();
      total.observe(o.durationMs / 1000);
      if (o.result === 'success' && o.swapMs !== undefined) swap.observe(o.swapMs / 1000);
    },
    swapped(next) { version.set(next.version); },
    awaiting(n) { awaiting.set(n); },
    retired() { retired.inc(); },
  };
}
