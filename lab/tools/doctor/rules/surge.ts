import { METRICS_ONLY_NOTE, type RuleContext } from '../context.js';
import type { K8sObject } from '../documents.js';
import { pdbsOf, podsOf, servicesOf, type Workload } from '../model.js';
import { metricsOnly, workloadRouting, type Routing } from '../routing.js';
import type { Severity } from '../types.js';

// Surge: capacity during a rollout and during node drains. Deployment defaults (apps/v1
// RollingUpdateDeployment): maxSurge 25 % rounded up, maxUnavailable 25 % rounded down.
// PodDisruptionBudget percentages round up (the disruption controller's GetScaledValueFromIntOrPercent).

const SAFE_ROLLING = { maxSurge: 1, maxUnavailable: 0 };

function resolve(v: unknown, replicas: number, roundUp: boolean, dflt: string): number {
  const raw = v ?? dflt;
  if (typeof raw === 'number') return raw;
  const m = /^(\d+)%$/.exec(String(raw));
  if (!m) return Number(raw) || 0;
  const x = (Number(m[1]) / 100) * replicas;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

const hpaOf = (ctx: RuleContext, w: Workload) =>
  ctx.model.hpas.find((h) => h.obj.spec?.scaleTargetRef?.kind === w.kind && h.obj.spec?.scaleTargetRef?.name === w.name);

/** Replicas, or the HPA's minReplicas when an HPA of the input scales this workload. */
function replicasOf(ctx: RuleContext, w: Workload): { n: number; from: string } {
  const hpa = hpaOf(ctx, w);
  if (hpa) return { n: hpa.obj.spec?.minReplicas ?? 1, from: `minReplicas of HorizontalPodAutoscaler/${hpa.name}` };
  const r = w.src.obj.spec?.replicas;
  return typeof r === 'number' ? { n: r, from: 'spec.replicas' } : { n: 1, from: 'default spec.replicas' };
}

/** A capacity finding's severity: as catalogued when requests reach the pods, info (with the reason) otherwise. */
function capacity(routing: Routing, served: Severity): { severity: Severity; note: string } {
  if (routing === 'traffic' || routing === 'port') return { severity: served, note: '' };
  if (routing === 'metrics') return { severity: 'info', note: METRICS_ONLY_NOTE };
  return { severity: 'info', note: ' (no Service of the input routes requests to it: a rollout pauses its work rather than failing requests, hence info)' };
}

/** Other pod sources behind every traffic Service of `w`: then one replica of `w` is not the only pod serving. */
function sharedWith(ctx: RuleContext, w: Workload): string[] | undefined {
  const svcs = servicesOf(ctx.model, w).filter((s) => !metricsOnly(s));
  if (!svcs.length) return undefined;
  const others = svcs.map((s) => podsOf(ctx.model, s).map((p) => p.object).filter((o) => o !== w.object));
  return others.every((o) => o.length > 0) ? [...new Set(others.flat())] : undefined;
}

function singleReplica(ctx: RuleContext, w: Workload, r: { n: number; from: string }): void {
  if (r.n !== 1) return;
  const routing = workloadRouting(ctx.model, w);
  const shared = routing === 'traffic' ? sharedWith(ctx, w) : undefined;
  const why = shared
    ? `${w.object} runs one replica (${r.from}), but its Service also routes to ${shared.join(', ')}, so a drain or crash of this pod leaves those serving (info)`
    : routing === 'traffic' || routing === 'port'
      ? `${w.object} runs one replica (${r.from}): a node drain or a crash leaves no pod to serve, and the rollout has no second pod to absorb a slow start`
      : `${w.object} runs one replica (${r.from}): a node drain or a crash stops its work until a new pod is scheduled${capacity(routing, 'warning').note}`;
  // nothing routes requests to it (a worker, a load generator): one replica pauses its work, it loses no request
  const severity: Severity = shared || routing === 'metrics' || routing === undefined ? 'info' : 'warning';
  ctx.report('surge-single-replica', w, ['spec', 'replicas'], `${why}.`,
    'Run at least 2 replicas (with maxSurge 1 / maxUnavailable 0 and a PDB of maxUnavailable 1).', severity,
    hpaOf(ctx, w) ? undefined : [{ path: ['spec', 'replicas'], value: 2 }]);
}

function strategy(ctx: RuleContext, w: Workload, replicas: number): void {
  if (w.kind !== 'Deployment') return;
  const s = w.src.obj.spec?.strategy ?? {};
  const routing = workloadRouting(ctx.model, w);
  if (s.type === 'Recreate') {
    const c = capacity(routing, 'error');
    ctx.report('surge-recreate', w, ['spec', 'strategy', 'type'],
      `${w.object} uses the Recreate strategy: every old pod is killed before a new one starts, so nothing serves for the length of a rollout${c.note}.`,
      'Use type: RollingUpdate with maxSurge 1 and maxUnavailable 0 (a ReadWriteOnce volume needs Recreate or a StatefulSet: then say so with the ignore annotation).',
      c.severity, [{ path: ['spec', 'strategy'], value: { type: 'RollingUpdate', rollingUpdate: SAFE_ROLLING } }]);
    return;
  }
  const surge = resolve(s.rollingUpdate?.maxSurge, replicas, true, '25%');
  const unavailable = resolve(s.rollingUpdate?.maxUnavailable, replicas, false, '25%');
  const patch = [{ path: ['spec', 'strategy'], value: { type: 'RollingUpdate', rollingUpdate: SAFE_ROLLING } }];
  if (replicas >= 1 && unavailable >= replicas) {
    const c = capacity(routing, 'error');
    ctx.report('surge-all-unavailable', w, ['spec', 'strategy', 'rollingUpdate', 'maxUnavailable'],
      `${w.object}: maxUnavailable ${s.rollingUpdate?.maxUnavailable} resolves to ${unavailable} of ${replicas} replica(s), so the controller may take every pod out at once and the Service drops to zero ready pods during a rollout${c.note}.`,
      'Set rollingUpdate.maxSurge: 1 and maxUnavailable: 0 (new pod ready before an old one leaves).', c.severity, patch);
  } else if (surge === 0 && unavailable > 0) {
    ctx.report('surge-no-surge', w, ['spec', 'strategy', 'rollingUpdate'],
      `${w.object}: maxSurge 0 with maxUnavailable ${unavailable} takes ${unavailable} of ${replicas} pods out before a replacement is ready, so the others carry the whole load during every rollout; ${ctx.evidence.cite('without-surge', [['min ready pods', (x) => x.minReadyPods]])}, against ${ctx.evidence.cite('after', [['min ready pods', (x) => x.minReadyPods]])}.`,
      'Set rollingUpdate.maxSurge: 1 and maxUnavailable: 0 (new pod ready before an old one leaves).', undefined, patch);
  }
}

function pdbMissing(ctx: RuleContext, w: Workload, replicas: number): void {
  if ((w.kind !== 'Deployment' && w.kind !== 'StatefulSet') || replicas < 2) return;
  if (workloadRouting(ctx.model, w) !== 'traffic' || pdbsOf(ctx.model, w).length) return;
  ctx.report('surge-pdb-missing', w, ['spec', 'replicas'],
    `${w.object} runs ${replicas} replicas behind a Service but no PodDisruptionBudget covers them, so a node drain (cluster upgrade, autoscaler scale-down) may evict all of them at once.`,
    `Add a PodDisruptionBudget with the Deployment's pod selector and maxUnavailable: 1.`);
}

function hpaReplicas(ctx: RuleContext, w: Workload): void {
  const hpa = hpaOf(ctx, w);
  if (!hpa || typeof w.src.obj.spec?.replicas !== 'number') return;
  ctx.report('surge-replicas-with-hpa', w, ['spec', 'replicas'],
    `${w.object} sets spec.replicas ${w.src.obj.spec.replicas} while HorizontalPodAutoscaler/${hpa.name} scales it: every apply resets the count the HPA chose, so a deploy during a load peak first scales the Deployment down.`,
    'Remove spec.replicas and let the HPA own the count (minReplicas covers the floor).', undefined, [{ path: ['spec', 'replicas'], value: null }]);
}

function replicationController(ctx: RuleContext, w: Workload): void {
  if (w.kind !== 'ReplicationController') return;
  ctx.report('surge-replication-controller', w, ['kind'],
    `${w.object} is a ReplicationController: it has no rollout strategy, so changing its pod template replaces no pod (kubectl rolling-update was removed in Kubernetes 1.18) and a new version goes out only by deleting pods by hand, with none of maxSurge/maxUnavailable's guarantees.`,
    'Use an apps/v1 Deployment with the same pod template (selector.matchLabels = the current selector) and maxSurge 1 / maxUnavailable 0.');
}

function pdb(ctx: RuleContext, p: K8sObject): void {
  const spec = p.obj.spec ?? {};
  const targets = ctx.model.workloads.filter((w) => pdbsOf(ctx.model, w).includes(p));
  let blocks: string | undefined;
  if (spec.maxUnavailable !== undefined) {
    const w = targets.find((t) => resolve(spec.maxUnavailable, replicasOf(ctx, t).n, true, '0') === 0);
    if (spec.maxUnavailable === 0 || spec.maxUnavailable === '0%') blocks = `maxUnavailable ${spec.maxUnavailable}`;
    else if (w) blocks = `maxUnavailable ${spec.maxUnavailable} of ${replicasOf(ctx, w).n} replica(s) of ${w.object}`;
  } else if (spec.minAvailable === '100%') blocks = 'minAvailable 100%';
  else if (spec.minAvailable !== undefined) {
    const w = targets.find((t) => resolve(spec.minAvailable, replicasOf(ctx, t).n, true, '0') >= replicasOf(ctx, t).n);
    if (w) blocks = `minAvailable ${spec.minAvailable} with ${replicasOf(ctx, w).n} replica(s) of ${w.object}`;
  }
  if (!blocks) return;
  const field = spec.maxUnavailable !== undefined ? 'maxUnavailable' : 'minAvailable';
  ctx.reportOn('surge-pdb-blocks-eviction', p, ['spec', field],
    `${blocks} allows no voluntary eviction at all, so a node drain (cluster upgrade, autoscaler scale-down) hangs on these pods until someone deletes the PDB or the pods by hand.`,
    'Allow at least one disruption: maxUnavailable: 1 (with enough replicas and maxSurge for the rollout).', undefined,
    [{ path: ['spec', 'minAvailable'], value: null }, { path: ['spec', 'maxUnavailable'], value: 1 }]);
}

export function surgeRules(ctx: RuleContext): void {
  for (const w of ctx.model.workloads) {
    replicationController(ctx, w);
    if (w.kind !== 'Deployment' && w.kind !== 'StatefulSet' && w.kind !== 'ReplicationController') continue;
    const r = replicasOf(ctx, w);
    singleReplica(ctx, w, r);
    strategy(ctx, w, r.n);
    pdbMissing(ctx, w, r.n);
    hpaReplicas(ctx, w);
  }
  for (const p of ctx.model.pdbs) pdb(ctx, p);
}
