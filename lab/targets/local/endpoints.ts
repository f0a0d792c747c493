import type { TimelineEvent } from '../../engine/schema.js';
import type { ServiceSpec } from './manifest.js';
import type { Pod } from './pod.js';

// Two views of a Service's endpoints. The API view is what the EndpointSlice controller publishes
// the instant a pod's readiness changes (terminating pods are never ready). The lagged view is what
// the routing layer (kube-proxy rules, ingress-nginx's Lua balancer) acts on: every change reaches
// it `propagationDelayMs` later. That delay is the one modeled quantity of the local target.

export interface Endpoint {
  pod: string;
  ip: string;
  /** target port per Service port, in the Service's port order */
  ports: number[];
}

type Emit = (e: Omit<TimelineEvent, 't'>) => void;

export class LaggedView {
  private readonly current = new Map<string, Endpoint>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rr = 0;
  private closed = false;

  /**
   * `removalDelayMs` (default: propagationDelayMs) is how long a removed endpoint keeps getting new
   * connections: a load balancer's deregistration delay, when it is longer than the propagation.
   */
  constructor(readonly service: string, readonly propagationDelayMs: number, private readonly emit: Emit, readonly removalDelayMs = propagationDelayMs) {}

  /** The endpoints the routing layer believes in right now. */
  endpoints(): Endpoint[] { return [...this.current.values()]; }

  has(pod: string): boolean { return this.current.has(pod); }

  /** kube-proxy iptables mode: a uniformly random endpoint per new connection (statistic --mode random). */
  pickRandom(): Endpoint | undefined {
    const all = this.endpoints();
    return all.length === 0 ? undefined : all[Math.floor(Math.random() * all.length)];
  }

  /** ingress-nginx's default round_robin balancer, skipping endpoints already tried for this request. */
  pickRoundRobin(exclude: ReadonlySet<string> = new Set()): Endpoint | undefined {
    const all = this.endpoints();
    if (all.length === 0) return undefined;
    for (let i = 0; i < all.length; i++) {
      const ep = all[(this.rr + i) % all.length]!;
      if (!exclude.has(ep.pod)) { this.rr = (this.rr + i + 1) % all.length; return ep; }
    }
    return undefined;
  }

  apply(op: 'add' | 'remove', ep: Endpoint): void {
    const run = () => {
      if (this.closed) return;
      if (op === 'add') this.current.set(ep.pod, ep); else this.current.delete(ep.pod);
      this.emit({ kind: op === 'add' ? 'view-added' : 'view-removed', pod: ep.pod, detail: `${this.service} ${ep.ip}` });
    };
    const delayMs = op === 'remove' ? this.removalDelayMs : this.propagationDelayMs;
    if (delayMs <= 0) { run(); return; }
    const t = setTimeout(() => { this.timers.delete(t); run(); }, delayMs);
    this.timers.add(t);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** The EndpointSlice controller for one Service, plus the routing layer's lagged view of it. */
export class ServiceEndpoints {
  private readonly api = new Map<string, Endpoint>();
  readonly view: LaggedView;

  constructor(readonly spec: ServiceSpec, propagationDelayMs: number, private readonly emit: Emit, removalDelayMs = propagationDelayMs) {
    this.view = new LaggedView(spec.name, propagationDelayMs, emit, removalDelayMs);
  }

  selects(pod: Pod): boolean {
    return Object.entries(this.spec.selector).every(([k, v]) => pod.labels[k] === v);
  }

  /** Ready endpoints as the API publishes them now. */
  published(): Endpoint[] { return [...this.api.values()]; }

  private endpointOf(pod: Pod): Endpoint | undefined {
    try {
      return { pod: pod.name, ip: pod.ip, ports: this.spec.ports.map((p) => pod.resolvePort(p.targetPort)) };
    } catch {
      return undefined; // a pod without the named target port is not an endpoint (as in Kubernetes)
    }
  }

  /** Recomputes the ready set from the pods and pushes each difference to the API and, later, the view. */
  sync(pods: Iterable<Pod>): void {
    const next = new Map<string, Endpoint>();
    for (const pod of pods) {
      if (!this.selects(pod) || !pod.ready || pod.terminating) continue;
      const ep = this.endpointOf(pod);
      if (ep) next.set(pod.name, ep);
    }
    for (const [name, ep] of this.api) {
      if (next.has(name)) continue;
      this.api.delete(name);
      this.emit({ kind: 'endpoint-removed', pod: name, detail: `${this.spec.name} ${ep.ip}` });
      this.view.apply('remove', ep);
    }
    for (const [name, ep] of next) {
      if (this.api.has(name)) continue;
      this.api.set(name, ep);
      this.emit({ kind: 'endpoint-added', pod: name, detail: `${this.spec.name} ${ep.ip}` });
      this.view.apply('add', ep);
    }
  }

  close(): void { this.view.close(); }
}
