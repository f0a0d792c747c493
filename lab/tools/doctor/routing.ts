import type { K8sObject } from './documents.js';
import { labelSelectorMatches, nsOf, sameNs, servicesOf, podsOf, type Container, type Model, type Workload } from './model.js';

// How requests reach a container: through which Service port, and whether anyone but Prometheus sends
// them. A Service port reaches the container whose port its targetPort names (or numbers); a port that
// only monitoring reaches makes the readiness and surge rules speak softer: a scrape missed during a
// rollout costs a gap in a graph, not a user's request.

const METRICS_PORT = /metrics|prometheus|monitoring/i;
/**
 * Prometheus exporters serve nothing but scrapes (prometheus.io/docs/instrumenting/writing_exporters:
 * a program that exposes another system's metrics; by convention named `<system>_exporter`, e.g.
 * node-exporter, blackbox-exporter), and kube-state-metrics is one in all but name.
 */
const EXPORTER_IMAGE = /(^|[-_])exporter$|^kube-state-metrics$/;
/** An authorizing proxy for a single upstream (--upstream); kube-prometheus and kubebuilder put it in front of /metrics. */
const METRICS_PROXY_IMAGE = 'kube-rbac-proxy';

/** The image's name without registry, path, tag or digest: `quay.io/prometheus/node-exporter:v1.8.2` → node-exporter. */
export function imageBase(image: unknown): string {
  const noDigest = String(image ?? '').split('@')[0]!;
  return noDigest.slice(noDigest.lastIndexOf('/') + 1).split(':')[0]!;
}

const portsOf = (c: Container): any[] => (Array.isArray(c.spec.ports) ? c.spec.ports : []);

/** A flag that says where the program serves its metrics: `--metrics-bind-address=:8443` (controller-runtime, kubebuilder), `--metrics-addr`, `--port-metrics=9797` (podinfo). */
const METRICS_FLAG = /^--?([\w.-]*)$/;
const isMetricsFlag = (name: string) => /metric/i.test(name) && /bind-address|addr|address|port|listen/i.test(name);

/** The port numbers the container's own flags (command and args, `--f=v` or `--f v`) put its metrics server on. */
function metricsFlagPorts(c: Container): Set<number> {
  const argv = [c.spec.command, c.spec.args].flatMap((a) => (Array.isArray(a) ? a.map(String) : []));
  const ports = new Set<number>();
  for (const [i, a] of argv.entries()) {
    const eq = a.indexOf('=');
    const name = METRICS_FLAG.exec(eq < 0 ? a : a.slice(0, eq))?.[1];
    if (!name || !isMetricsFlag(name)) continue;
    const port = /(?:^|:)(\d+)$/.exec(eq < 0 ? argv[i + 1] ?? '' : a.slice(eq + 1))?.[1];
    if (port && Number(port) > 0) ports.add(Number(port));
  }
  return ports;
}

/** The container port number a Service port reaches on `c` (a number, or the number of the port it names). */
function targetNumber(p: any, c: Container): number | undefined {
  const t = p?.targetPort ?? p?.port;
  if (typeof t === 'number' || /^\d+$/.test(String(t))) return Number(t);
  const named = portsOf(c).find((cp) => cp?.name === t);
  return typeof named?.containerPort === 'number' ? named.containerPort : undefined;
}

/**
 * The containers of `w` a Service port sends to: the one whose port its targetPort names, or whose
 * containerPort it numbers (targetPort defaults to port). Undefined when the pod template does not say:
 * a number no container declares (declaring is optional), or a name none has (then the Service is broken,
 * which is not this question).
 */
function targetsOf(port: any, w: Workload): Container[] | undefined {
  const t = port?.targetPort ?? port?.port;
  if (t === undefined) return undefined;
  const named = typeof t === 'string' && !/^\d+$/.test(t);
  const hits = w.containers.filter((c) => portsOf(c).some((cp) => (named ? cp?.name === t : Number(cp?.containerPort) === Number(t))));
  return hits.length ? hits : undefined;
}

/** A port named for metrics, or the one the Service's prometheus.io annotations say Prometheus scrapes. */
function metricsPort(s: K8sObject, p: any): boolean {
  if (METRICS_PORT.test(String(p?.name ?? '')) || (typeof p?.targetPort === 'string' && METRICS_PORT.test(p.targetPort))) return true;
  const ann = s.obj.metadata?.annotations ?? {};
  const scrapePort = ann['prometheus.io/port'];
  return String(ann['prometheus.io/scrape']) === 'true' && scrapePort !== undefined
    && (String(p?.port) === String(scrapePort) || String(p?.targetPort) === String(scrapePort));
}

/** A Service that only exposes metrics: every port is a metrics port (surge.ts: such a Service shares no user traffic). */
export function metricsOnly(s: K8sObject): boolean {
  const ports: any[] = Array.isArray(s.obj.spec?.ports) ? s.obj.spec.ports : [];
  return ports.length > 0 && ports.every((p) => metricsPort(s, p));
}

/** Whether a monitor of the input may select objects in `ns` (namespaceSelector; default: the monitor's own namespace). */
function inNamespaces(mon: K8sObject, ns: string | undefined): boolean {
  const sel = mon.obj.spec?.namespaceSelector;
  if (sel?.any === true) return true;
  if (Array.isArray(sel?.matchNames) && sel.matchNames.length) return ns === undefined || sel.matchNames.includes(ns);
  return sameNs(nsOf(mon), ns);
}

/** A ServiceMonitor that scrapes this Service port, or a PodMonitor that scrapes the pod port it targets. */
function scrapedBy(m: Model, s: K8sObject, p: any, w: Workload): K8sObject | undefined {
  return m.monitors.find((mon) => {
    const spec = mon.obj.spec ?? {};
    if (mon.kind === 'ServiceMonitor') {
      const endpoints: any[] = Array.isArray(spec.endpoints) ? spec.endpoints : [];
      return inNamespaces(mon, nsOf(s)) && labelSelectorMatches(spec.selector, s.obj.metadata?.labels ?? {})
        && endpoints.some((e) => (e?.port !== undefined && e.port === p?.name) || (e?.targetPort !== undefined && String(e.targetPort) === String(p?.targetPort)));
    }
    const endpoints: any[] = Array.isArray(spec.podMetricsEndpoints) ? spec.podMetricsEndpoints : [];
    return inNamespaces(mon, w.namespace) && labelSelectorMatches(spec.selector, w.labels)
      && endpoints.some((e) => e?.port !== undefined && e.port === p?.targetPort);
  });
}

/** Prometheus scrapes some port of the workload (then an exporter in it serves nothing else). */
function scraped(m: Model, w: Workload): boolean {
  return servicesOf(m, w).some((s) => (Array.isArray(s.obj.spec?.ports) ? s.obj.spec.ports : []).some((p: any) => scrapedBy(m, s, p, w)))
    || m.monitors.some((mon) => mon.kind === 'PodMonitor' && inNamespaces(mon, w.namespace) && labelSelectorMatches(mon.obj.spec?.selector, w.labels));
}

/**
 * Only monitoring reaches container `c` through this port: a metrics port; the port the container's
 * own flags bind its metrics server to (kubebuilder's `--metrics-bind-address=:8443` behind its
 * `…-controller-manager-metrics-service`); an exporter's port in a
 * workload Prometheus scrapes (its other ports, such as blackbox-exporter's /probe, are called by
 * Prometheus too); or a kube-rbac-proxy port that a ServiceMonitor scrapes (the proxy serves only its
 * upstream, and that upstream is what Prometheus scrapes). Grafana or an API server behind a scraped port
 * is neither, so it stays traffic.
 */
function monitoringPort(m: Model, s: K8sObject, p: any, c: Container): boolean {
  const image = imageBase(c.spec.image);
  const target = targetNumber(p, c);
  return metricsPort(s, p)
    || (target !== undefined && metricsFlagPorts(c).has(target))
    || (EXPORTER_IMAGE.test(image) && scraped(m, c.workload))
    || (image === METRICS_PROXY_IMAGE && scrapedBy(m, s, p, c.workload) !== undefined);
}

/**
 * How traffic reaches a container: `traffic` (a Service port that carries requests targets it),
 * `metrics` (only monitoring ports do), `port` (the input has no Service that selects anything, and the
 * container declares a port), or undefined (nothing routes to it). A Service that selects no pod of the
 * input is its own finding and says nothing about other workloads.
 */
export type Routing = 'traffic' | 'metrics' | 'port' | undefined;

export function routingOf(m: Model, c: Container): Routing {
  const declaresPort = portsOf(c).length > 0;
  const live = m.services.filter((s) => podsOf(m, s).length > 0);
  if (live.length === 0) return declaresPort ? 'port' : undefined;
  // when the port does not say which container it reaches: the ones that declare ports (or all, if none does)
  const byDefault = declaresPort || !c.workload.containers.some((x) => portsOf(x).length > 0);
  let routing: Routing;
  for (const s of servicesOf(m, c.workload)) {
    const ports: any[] = Array.isArray(s.obj.spec?.ports) && s.obj.spec.ports.length ? s.obj.spec.ports : [undefined];
    for (const p of ports) {
      const targets = p === undefined ? undefined : targetsOf(p, c.workload);
      if (!(targets ? targets.includes(c) : byDefault)) continue;
      if (p === undefined || !monitoringPort(m, s, p, c)) return 'traffic';
      routing = 'metrics';
    }
  }
  return routing;
}

/** The workload-level routing: the strongest of its containers'. */
export function workloadRouting(m: Model, w: Workload): Routing {
  const r = w.containers.map((c) => routingOf(m, c));
  return r.includes('traffic') ? 'traffic' : r.includes('port') ? 'port' : r.includes('metrics') ? 'metrics' : undefined;
}

/** Whether requests are routed to this container (by any Service, metrics ones included). Only these need readiness and a deregistration wait. */
export function isServed(m: Model, c: Container): boolean {
  return routingOf(m, c) !== undefined;
}
