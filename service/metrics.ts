import { collectDefaultMetrics, Counter, Gauge, register as globalRegistry, type Registry } from 'prom-client';
import { STATES, type Lifecycle } from './lifecycle.js';

export interface ServiceMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  /** Where the in-flight and open-connection gauges read at scrape time (no per-request cost). */
  observe(source: { readonly inFlightCount: number; readonly openSockets: number }): void;
  readonly socketsForceClosed: Counter;
  readonly connectionsDrained: Counter<'how'>;
  readonly deadlineMisses: Counter;
  readonly requeued: Counter<'route'>;
  /** lab_http_requests_total +1, through a cached child (prom-client hashes a label object on every inc). */
  countRequest(route: string, method: string, status: number): void;
}

// The global registry on purpose: one service per process, and the hot-reload plugin registers
// its own series there too, so /metrics shows both without any wiring between the two.
export function createMetrics(lifecycle: Lifecycle, registry: Registry = globalRegistry): ServiceMetrics {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const state = new Gauge({ name: 'lab_lifecycle_state', help: '1 for the current lifecycle state', labelNames: ['state'], registers });
  const phase = new Gauge({ name: 'lab_lifecycle_phase_seconds', help: 'Seconds spent in each lifecycle state, set when the state is left', labelNames: ['state'], registers });
  for (const s of STATES) state.labels(s).set(s === lifecycle.state ? 1 : 0);
  lifecycle.onTransition((to, from, ms) => {
    state.labels(from).set(0);
    state.labels(to).set(1);
    phase.labels(from).set(ms / 1000);
  });
  let source: { readonly inFlightCount: number; readonly openSockets: number } = { inFlightCount: 0, openSockets: 0 };
  new Gauge({ name: 'lab_http_in_flight', help: 'HTTP requests being served', registers, collect() { this.set(source.inFlightCount); } });
  new Gauge({ name: 'lab_http_open_connections', help: 'Open client TCP connections', registers, collect() { this.set(source.openSockets); } });
  const children = new Map<string, { inc(): void }>();
  const requests = new Counter<'route' | 'method' | 'status'>({ name: 'lab_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers });
  const m: ServiceMetrics = {
    registry,
    requests,
    countRequest(route, method, status) {
      const key = `${route} ${method} ${status}`;
      let child = children.get(key);
      if (!child) {
        child = requests.labels(route, method, String(status));
        children.set(key, child);
      }
      child.inc();
    },
    observe(s) { source = s; },
    socketsForceClosed: new Counter({ name: 'lab_sockets_force_closed_total', help: 'Client sockets destroyed with a request still in flight (guardian or naive exit)', registers }),
    connectionsDrained: new Counter({ name: 'lab_connections_drained_total', help: 'Client connections closed gently during shutdown: idle keep-alive closed, or closed after a Connection: close response', labelNames: ['how'], registers }),
    deadlineMisses: new Counter({ name: 'lab_shutdown_deadline_misses_total', help: 'Times the shutdown guardian deadline fired', registers }),
    requeued: new Counter({ name: 'lab_http_requeued_total', help: 'Requests answered 503 + Retry-After because they could not finish in the shutdown budget', labelNames: ['route'], registers }),
  };
  m.socketsForceClosed.inc(0);
  m.deadlineMisses.inc(0);
  return m;
}
