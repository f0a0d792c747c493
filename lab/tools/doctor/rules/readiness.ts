import { containerName, type RuleContext } from '../context.js';
import { isServed, type Container } from '../model.js';

// Readiness: a pod gets traffic only when it can answer (readiness probe), and keeps answering while
// the routing layer still sends it traffic after SIGTERM (preStop ≥ deregistration delay + readiness
// detection). Probe defaults: periodSeconds 10, failureThreshold 3, timeoutSeconds 1 (Kubernetes Probe API).

const PROBE_DEFAULTS = { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 1, successThreshold: 1, initialDelaySeconds: 0 };
const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);

/** Seconds from "stops being ready" to "marked not ready" by this probe. */
export function detectionSeconds(probe: any): number {
  if (!probe) return 0;
  return num(probe.periodSeconds, PROBE_DEFAULTS.periodSeconds) * num(probe.failureThreshold, PROBE_DEFAULTS.failureThreshold);
}

function probeKey(p: any): string {
  const handler = p.httpGet ? { httpGet: { path: p.httpGet.path ?? '/', port: p.httpGet.port } }
    : p.tcpSocket ? { tcpSocket: p.tcpSocket.port } : p.grpc ? { grpc: [p.grpc.port, p.grpc.service ?? ''] } : { exec: p.exec?.command };
  const t = Object.fromEntries(Object.entries(PROBE_DEFAULTS).filter(([k]) => k !== 'successThreshold').map(([k, d]) => [k, num(p[k], d)]));
  return JSON.stringify([handler, t]);
}

function probes(ctx: RuleContext, c: Container): void {
  const w = c.workload;
  const { readinessProbe: rp, livenessProbe: lp } = c.spec;
  if (!rp && isServed(ctx.model, c)) {
    ctx.report('readiness-probe-missing', w, [...c.path, 'readinessProbe'],
      `${containerName(c)} is behind a Service without a readiness probe, so each new pod gets traffic as soon as it starts, before it listens (502/refused); ${ctx.evidence.cite('before', [['× 502', (s) => s.windowCounts.http_502], ['refused', (s) => s.windowCounts.refused]])}, mostly from new pods routed before they listen.`,
      'Add a readinessProbe on an endpoint that fails from SIGTERM on (e.g. httpGet /readyz, periodSeconds 1, failureThreshold 1).');
  }
  if (rp && lp && probeKey(rp) === probeKey(lp)) {
    ctx.report('readiness-same-as-liveness', w, [...c.path, 'readinessProbe'],
      `${containerName(c)}: readiness and liveness probe the same endpoint with the same thresholds, so readiness cannot fail for draining without liveness restarting the container, and a liveness failure never gets a not-ready period first.`,
      'Point readiness at its own endpoint (/readyz, failing from SIGTERM on) and keep liveness on /healthz with a higher failureThreshold.');
  }
}

function preStop(ctx: RuleContext, c: Container): void {
  if (!isServed(ctx.model, c)) return;
  const p = ctx.profile(c);
  const w = c.workload;
  const dereg = ctx.deregistration;
  const detect = detectionSeconds(c.spec.readinessProbe);
  const need = dereg.seconds + detect;
  const race = ctx.evidence.cite('without-readiness', [['refused', (s) => s.windowCounts.refused], ['× 502', (s) => s.windowCounts.http_502]]);
  const sizing = `deregistration ${dereg.seconds} s (${dereg.from}) + readiness detection ${detect} s`;
  if (p.preStop.kind === 'none') {
    ctx.report('readiness-prestop-missing', w, [...c.path, 'lifecycle', 'preStop'],
      `${containerName(c)} gets SIGTERM while endpoints are still being removed (${sizing}), so it closes its listener while traffic still arrives; ${race}.`,
      `Add lifecycle.preStop.sleep.seconds: ${Math.ceil(need)} (Kubernetes ≥ 1.30; older: exec ["sleep", "${Math.ceil(need)}"]).`);
  } else if ((p.preStop.kind === 'native' || p.preStop.kind === 'exec') && p.preStop.seconds < need) {
    ctx.report('readiness-prestop-short', w, [...c.path, 'lifecycle', 'preStop'],
      `${containerName(c)}: preStop waits ${p.preStop.seconds} s, less than ${sizing} = ${need} s, so the last ${+(need - p.preStop.seconds).toFixed(3)} s of routed traffic hit a closing listener; ${race}.`,
      `Wait at least ${Math.ceil(need)} s in preStop (and keep preStop + drain inside terminationGracePeriodSeconds).`);
  }
  if (p.preStop.kind === 'exec') {
    ctx.report('readiness-prestop-exec-sleep', w, [...c.path, 'lifecycle', 'preStop', 'exec'],
      `${containerName(c)}: preStop execs a sleep binary; images without one (distroless, scratch) fail the hook and SIGTERM comes at once, while the native sleep action needs nothing in the image (Kubernetes ≥ 1.30, KEP-3960).`,
      `Use lifecycle.preStop.sleep.seconds: ${p.preStop.seconds} on Kubernetes ≥ 1.30.`);
  }
}

export function readinessRules(ctx: RuleContext): void {
  for (const c of ctx.containers()) {
    probes(ctx, c);
    preStop(ctx, c);
  }
}
