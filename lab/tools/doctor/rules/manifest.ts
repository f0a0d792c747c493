import { containerName, type RuleContext } from '../context.js';
import { podsOf, type Container } from '../model.js';
import { removedApi } from '../removed-apis.js';

// Manifest: mistakes that break routing or the apply itself before any timing matters: a Service
// that selects nothing, a probe on a port the container does not have, an API version the server
// no longer serves.

/** API groups of Kubernetes itself; any other group is a custom resource whose controller may make pods. */
const BUILT_IN_GROUP = /^(apps|batch|policy|autoscaling|extensions|[a-z0-9.-]*\.k8s\.io)$/;
const isCustom = (apiVersion: unknown) => typeof apiVersion === 'string' && apiVersion.includes('/') && !BUILT_IN_GROUP.test(apiVersion.split('/')[0]!);

function danglingServices(ctx: RuleContext): void {
  const custom = [...new Set(ctx.model.objects.filter((o) => isCustom(o.obj.apiVersion)).map((o) => o.kind))];
  for (const s of ctx.model.services) {
    const selector = s.obj.spec?.selector;
    // no selector: endpoints managed by hand or ExternalName, not a selection that failed
    if (typeof selector !== 'object' || selector === null || !Object.keys(selector).length) continue;
    if (podsOf(ctx.model, s).length) continue;
    const sel = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
    const maybe = custom.length ? ` The input also holds custom resources (${custom.join(', ')}) whose controllers may create such pods, hence info.` : '';
    ctx.reportOn('manifest-dangling-service', s, ['spec', 'selector'],
      `Service/${s.name} selects ${sel}, which no pod template of the input carries, so it has no endpoints and every request to it fails (or the selector has a typo).${maybe}`,
      'Make spec.selector equal to the pod template labels of the workload it fronts (or check the workload is part of what you passed to doctor).',
      custom.length ? 'info' : undefined);
  }
}

function removedApis(ctx: RuleContext): void {
  for (const o of ctx.model.objects) {
    const r = removedApi(o.obj.apiVersion, o.kind);
    if (!r) continue;
    const to = r.replacement[o.kind];
    const extra = to === 'apps/v1' ? ' (apps/v1 requires spec.selector, and it must match the template labels)' : '';
    ctx.reportOn('manifest-removed-api', o, ['apiVersion'],
      `${o.kind}/${o.name} uses apiVersion ${r.apiVersion}, which Kubernetes ${r.removedIn} stopped serving: \`kubectl apply\` on a current cluster refuses it and nothing of this object is deployed.`,
      to ? `Use apiVersion: ${to}${extra}.` : `Move to the current version of ${o.kind} (Deprecated API Migration Guide).`,
      undefined, to ? [{ path: ['apiVersion'], value: to }] : undefined);
  }
}

const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const;

function probePorts(ctx: RuleContext, c: Container): void {
  const ports: any[] = Array.isArray(c.spec.ports) ? c.spec.ports : [];
  for (const kind of PROBES) {
    const probe = c.spec[kind];
    const handler = probe?.httpGet ? 'httpGet' : probe?.tcpSocket ? 'tcpSocket' : probe?.grpc ? 'grpc' : undefined;
    if (!handler) continue;
    const port = probe[handler].port;
    const path = [...c.path, kind, handler, 'port'];
    if (typeof port === 'string' && !/^\d+$/.test(port)) {
      if (ports.some((p) => p?.name === port)) continue;
      // a named port must exist: the kubelet cannot resolve it and the probe fails every time
      ctx.report('manifest-probe-port', c.workload, path,
        `${containerName(c)}: ${kind} uses the named port "${port}", which the container does not declare (${ports.map((p) => p?.name).filter(Boolean).join(', ') || 'no named ports'}), so the kubelet cannot resolve it and the probe fails every time${kind === 'livenessProbe' ? ': the container is restarted over and over' : kind === 'readinessProbe' ? ': the pod never becomes ready' : ': the container never starts'}.`,
        `Name the containerPort "${port}", or point the probe at a declared port.`);
    } else if (ports.length && !ports.some((p) => String(p?.containerPort) === String(port))) {
      // containerPort is informational: an undeclared number works if the app listens on it
      ctx.report('manifest-probe-port', c.workload, path,
        `${containerName(c)}: ${kind} probes port ${port}, which is not among the declared containerPorts (${ports.map((p) => p?.containerPort).join(', ')}); it works only if the app also listens there (declared ports are informational), hence info.`,
        'Declare the port the probe uses (or probe a declared one).', 'info');
    }
  }
}

export function manifestRules(ctx: RuleContext): void {
  danglingServices(ctx);
  removedApis(ctx);
  for (const c of ctx.containers()) probePorts(ctx, c);
}
