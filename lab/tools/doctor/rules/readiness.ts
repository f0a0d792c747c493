import { containerName, METRICS_ONLY_NOTE, type RuleContext } from '../context.js';
import type { Container } from '../model.js';
import { routingOf } from '../routing.js';
import { graceFix, timingPlan } from '../plan.js';
import { PRESTOP_FACTOR } from '../sizing.js';
import { sigtermBlockedBy } from './pid1.js';

// Readiness: a pod gets traffic only when it can answer (readiness probe), and keeps answering while
// the routing layer still sends it traffic after its deletion (preStop ≈ 3 × the deregistration
// delay's p99, sizing.ts, less the app's own wait after SIGTERM). Where a pid1 error says PID 1 ignores
// SIGTERM, the preStop findings are info: nothing closes early until that is fixed (with the Dockerfile
// from --dockerfile or found through skaffold.yaml). Probe defaults: periodSeconds 10, failureThreshold 3, timeoutSeconds 1
// (Kubernetes Probe API).

const PROBE_DEFAULTS = { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 1, successThreshold: 1, initialDelaySeconds: 0 };
const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);

function probeKey(p: any): string {
  const handler = p.httpGet ? { httpGet: { path: p.httpGet.path ?? '/', port: p.httpGet.port } }
    : p.tcpSocket ? { tcpSocket: p.tcpSocket.port } : p.grpc ? { grpc: [p.grpc.port, p.grpc.service ?? ''] } : { exec: p.exec?.command };
  const t = Object.fromEntries(Object.entries(PROBE_DEFAULTS).filter(([k]) => k !== 'successThreshold').map(([k, d]) => [k, num(p[k], d)]));
  return JSON.stringify([handler, t]);
}

function probes(ctx: RuleContext, c: Container): void {
  const w = c.workload;
  const { readinessProbe: rp, livenessProbe: lp } = c.spec;
  const routing = routingOf(ctx.model, c);
  if (!rp && routing) {
    const note = routing === 'metrics' ? METRICS_ONLY_NOTE : '';
    ctx.report('readiness-probe-missing', w, [...c.path, 'readinessProbe'],
      `${containerName(c)} is behind a Service without a readiness probe, so each new pod gets traffic as soon as it starts, before it listens (502/refused); ${ctx.evidence.cite('before', [['× 502', (s) => s.windowCounts.http_502], ['refused', (s) => s.windowCounts.refused]])}, mostly from new pods routed before they listen${note}.`,
      'Add a readinessProbe on an endpoint that fails from SIGTERM on (e.g. httpGet /readyz, periodSeconds 1, failureThreshold 1).', note ? 'info' : undefined);
  }
  if (rp && lp && probeKey(rp) === probeKey(lp)) {
    ctx.report('readiness-same-as-liveness', w, [...c.path, 'readinessProbe'],
      `${containerName(c)}: readiness and liveness probe the same endpoint with the same thresholds, so readiness cannot fail for draining without liveness restarting the container, and a liveness failure never gets a not-ready period first.`,
      'Point readiness at its own endpoint (/readyz, failing from SIGTERM on) and keep liveness on /healthz with a higher failureThreshold.');
  }
}

function preStop(ctx: RuleContext, c: Container): void {
  const routing = routingOf(ctx.model, c);
  if (!routing) return;
  const p = ctx.profile(c);
  const w = c.workload;
  const dereg = ctx.deregistration;
  const plan = timingPlan(ctx, c);
  const need = plan.preStopNeed!;
  const own = p.shutdownDelayS;
  if (need === 0 && p.preStop.kind !== 'exec') return; // the app's own wait after SIGTERM covers the deregistration delay
  const race = ctx.evidence.cite('without-readiness', [['refused', (s) => s.windowCounts.refused], ['× 502', (s) => s.windowCounts.http_502]]);
  const sizing = `${PRESTOP_FACTOR} × the deregistration delay ${dereg.seconds} s (${dereg.from}), rounded up${own ? `, less ${own.value} s of ${own.from}` : ''} = ${need} s; `
    + 'readiness-probe timing adds nothing: a terminating endpoint is never ready (EndpointSlice API, EndpointConditions)';
  const blocked = routing === 'metrics' ? undefined : sigtermBlockedBy(ctx, c);
  const soft = routing === 'metrics' ? { severity: 'info' as const, note: METRICS_ONLY_NOTE }
    : blocked ? { severity: 'info' as const, note: ` (info: today PID 1 ignores SIGTERM, ${blocked}, so the pod serves on until the SIGKILL at the end of its ${p.graceS.value} s grace period and no listener closes early; once PID 1 is fixed this preStop is needed: apply it together with that fix)` }
      : { severity: undefined, note: '' };
  const lead = blocked ? 'has no wait before SIGTERM: once SIGTERM reaches it, it will close its listener while endpoints are still being removed and traffic still arrives'
    : 'gets SIGTERM while endpoints are still being removed, so it closes its listener while traffic still arrives';
  const grace = graceFix(c, plan);
  const patch = [{ path: [...c.path, 'lifecycle', 'preStop'], value: { sleep: { seconds: need } } }, ...grace.ops];
  if (p.preStop.kind === 'none' || p.preStop.kind === 'broken') {
    const broken = p.preStop.kind === 'broken' ? `: ${p.preStop.why}; so it` : '';
    ctx.report('readiness-prestop-missing', w, [...c.path, 'lifecycle', 'preStop'],
      `${containerName(c)}${broken} ${lead}; ${race}. preStop should be ${sizing}${soft.note}.`,
      `Add lifecycle.preStop.sleep.seconds: ${need} (Kubernetes ≥ 1.30; older: exec ["sleep", "${need}"])${grace.text}.`, soft.severity, patch);
  } else if ((p.preStop.kind === 'native' || p.preStop.kind === 'exec') && p.preStop.seconds < need) {
    // under the delay itself traffic surely meets a closed listener; under 3 × only its tail does
    const underDelay = p.preStop.seconds + (own?.value ?? 0) < dereg.seconds;
    const severity = soft.severity ?? (underDelay ? 'error' : 'warning');
    ctx.report('readiness-prestop-short', w, [...c.path, 'lifecycle', 'preStop'],
      `${containerName(c)}: preStop waits ${p.preStop.seconds} s, less than ${sizing}, so ${underDelay ? 'routed traffic still arrives after the listener closes' : 'the slow tail of the deregistration still meets a closing listener'}; ${race}${soft.note}.`,
      `Wait ${need} s in preStop${grace.text}.`, severity, patch);
  }
  if (p.preStop.kind === 'exec') {
    const seconds = Math.max(p.preStop.seconds, plan.preStopPlanned);
    ctx.report('readiness-prestop-exec-sleep', w, [...c.path, 'lifecycle', 'preStop', 'exec'],
      `${containerName(c)}: preStop execs a sleep binary; images without one (distroless, scratch) fail the hook and SIGTERM comes at once, while the native sleep action needs nothing in the image (Kubernetes ≥ 1.30, KEP-3960).`,
      `Use lifecycle.preStop.sleep.seconds: ${seconds} on Kubernetes ≥ 1.30${grace.text}.`, soft.severity,
      [{ path: [...c.path, 'lifecycle', 'preStop'], value: { sleep: { seconds } } }, ...grace.ops]);
  }
}

export function readinessRules(ctx: RuleContext): void {
  for (const c of ctx.containers()) {
    probes(ctx, c);
    preStop(ctx, c);
  }
}
