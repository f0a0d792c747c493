import type { RuleContext } from '../context.js';
import type { K8sObject } from '../documents.js';
import { pdbsOf, type Workload } from '../model.js';

// Surge: capacity during a rollout and during node drains. Deployment defaults (apps/v1
// RollingUpdateDeployment): maxSurge 25 % rounded up, maxUnavailable 25 % rounded down.

function resolve(v: unknown, replicas: number, roundUp: boolean, dflt: string): number {
  const raw = v ?? dflt;
  if (typeof raw === 'number') return raw;
  const m = /^(\d+)%$/.exec(String(raw));
  if (!m) return Number(raw) || 0;
  const x = (Number(m[1]) / 100) * replicas;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** Replicas, or the HPA's minReplicas when an HPA of the input scales this workload. */
function replicasOf(ctx: RuleContext, w: Workload): { n: number; from: string } {
  const hpa = ctx.model.hpas.find((h) => h.obj.spec?.scaleTargetRef?.kind === w.kind && h.obj.spec?.scaleTargetRef?.name === w.name);
  if (hpa) return { n: hpa.obj.spec?.minReplicas ?? 1, from: `minReplicas of HorizontalPodAutoscaler/${hpa.name}` };
  const r = w.src.obj.spec?.replicas;
  return typeof r === 'number' ? { n: r, from: 'spec.replicas' } : { n: 1, from: 'default spec.replicas' };
}

function strategy(ctx: RuleContext, w: Workload, replicas: number): void {
  if (w.kind !== 'Deployment') return;
  const s = w.src.obj.spec?.strategy ?? {};
  if (s.type === 'Recreate') {
    ctx.report('surge-recreate', w, ['spec', 'strategy', 'type'],
      `${w.object} uses the Recreate strategy: every old pod is killed before a new one starts, so nothing serves for the length of a rollout.`,
      'Use type: RollingUpdate with maxSurge 1 and maxUnavailable 0.');
    return;
  }
  const surge = resolve(s.rollingUpdate?.maxSurge, replicas, true, '25%');
  const unavailable = resolve(s.rollingUpdate?.maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable > 0) {
    ctx.report('surge-no-surge', w, ['spec', 'strategy', 'rollingUpdate'],
      `${w.object}: maxSurge 0 with maxUnavailable ${unavailable} takes ${unavailable} of ${replicas} pods out before a replacement is ready, so the others carry the whole load during every rollout; ${ctx.evidence.cite('without-surge', [['min ready pods', (x) => x.minReadyPods]])}, against ${ctx.evidence.cite('after', [['min ready pods', (x) => x.minReadyPods]])}.`,
      'Set rollingUpdate.maxSurge: 1 and maxUnavailable: 0 (new pod ready before an old one leaves).');
  }
}

function pdb(ctx: RuleContext, p: K8sObject): void {
  const spec = p.obj.spec ?? {};
  const targets = ctx.model.workloads.filter((w) => pdbsOf(ctx.model, w).includes(p));
  let blocks: string | undefined;
  if (spec.maxUnavailable === 0 || spec.maxUnavailable === '0%') blocks = `maxUnavailable ${spec.maxUnavailable}`;
  else if (spec.minAvailable === '100%') blocks = 'minAvailable 100%';
  else if (typeof spec.minAvailable === 'number') {
    const w = targets.find((t) => spec.minAvailable >= replicasOf(ctx, t).n);
    if (w) blocks = `minAvailable ${spec.minAvailable} with ${replicasOf(ctx, w).n} replica(s) of ${w.object}`;
  }
  if (!blocks) return;
  const f = { id: 'surge-pdb-blocks-eviction', lever: 'surge' as const, severity: 'error' as const, file: p.file, object: `PodDisruptionBudget/${p.name}`,
    path: spec.maxUnavailable !== undefined ? 'spec.maxUnavailable' : 'spec.minAvailable',
    why: `${blocks} allows no voluntary eviction at all, so a node drain (cluster upgrade, autoscaler scale-down) hangs on these pods until someone deletes the PDB or the pods by hand.`,
    fix: 'Allow at least one disruption: maxUnavailable: 1 (with enough replicas and maxSurge for the rollout).' };
  ctx.push(f, p.line(['spec', spec.maxUnavailable !== undefined ? 'maxUnavailable' : 'minAvailable']));
}

export function surgeRules(ctx: RuleContext): void {
  for (const w of ctx.model.workloads) {
    if (w.kind !== 'Deployment' && w.kind !== 'StatefulSet') continue;
    const r = replicasOf(ctx, w);
    if (r.n === 1) {
      ctx.report('surge-single-replica', w, ['spec', 'replicas'],
        `${w.object} runs one replica (${r.from}): a node drain or a crash leaves no pod to serve, and the rollout has no second pod to absorb a slow start.`,
        'Run at least 2 replicas (with maxSurge 1 / maxUnavailable 0 and a PDB of maxUnavailable 1).');
    }
    strategy(ctx, w, r.n);
  }
  for (const p of ctx.model.pdbs) pdb(ctx, p);
}
