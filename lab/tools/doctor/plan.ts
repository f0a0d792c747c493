import type { RuleContext } from './context.js';
import type { Container } from './model.js';
import { routingOf } from './routing.js';
import { CHECK_MARGIN_S, fitsGrace, graceFor, MARGIN_MIN_S, preStopFor } from './sizing.js';
import type { PatchOp } from './types.js';

// The timing a container should end up with once every fix doctor suggests is applied: one plan per
// container, so the preStop finding and the grace-period findings patch the same
// terminationGracePeriodSeconds instead of each computing its own (and the last one applied winning).

export interface TimingPlan {
  /** preStop today: the native or exec sleep, 0 without one (or with a hook of unknown length) */
  preStopNow: number;
  /** the preStop the deregistration delay asks for, less the app's own wait after SIGTERM; undefined when nothing routes to the container */
  preStopNeed: number | undefined;
  preStopPlanned: number;
  drainS: number | undefined;
  graceNow: number;
  gracePlanned: number;
  /** why the planned grace period is what it is, for the fix text */
  graceWhy: string;
}

export function timingPlan(ctx: RuleContext, c: Container): TimingPlan {
  const p = ctx.profile(c);
  const preStopNow = p.preStop.kind === 'native' || p.preStop.kind === 'exec' ? p.preStop.seconds : 0;
  // the app's own wait after SIGTERM keeps it serving just as a preStop sleep would
  const preStopNeed = routingOf(ctx.model, c) ? Math.max(0, preStopFor(ctx.deregistration.seconds) - (p.shutdownDelayS?.value ?? 0)) : undefined;
  const fixable = p.preStop.kind === 'none' || p.preStop.kind === 'broken' || p.preStop.kind === 'native' || p.preStop.kind === 'exec';
  const preStopPlanned = preStopNeed !== undefined && fixable && preStopNow < preStopNeed ? preStopNeed : preStopNow;
  const drainS = p.drainDeadlineS?.value;
  const graceNow = p.graceS.value;
  let gracePlanned = graceNow;
  let graceWhy = '';
  if (drainS !== undefined) {
    if (!fitsGrace(preStopPlanned, drainS, graceNow)) {
      gracePlanned = graceFor(preStopPlanned, drainS);
      graceWhy = `preStop ${preStopPlanned} s + drain deadline ${drainS} s + a margin`;
    }
  } else if (preStopPlanned + CHECK_MARGIN_S > graceNow) {
    // the drain deadline is unknown: keep the time the app had after SIGTERM before (a preStop at or
    // over the grace period usually means its author counted the grace period from SIGTERM)
    const kept = Math.max(MARGIN_MIN_S, preStopNow < graceNow ? graceNow - preStopNow : graceNow);
    gracePlanned = preStopPlanned + kept;
    graceWhy = `preStop ${preStopPlanned} s + the ${kept} s the app had after SIGTERM`;
  }
  return { preStopNow, preStopNeed, preStopPlanned, drainS, graceNow, gracePlanned, graceWhy };
}

/** The grace-period half of a fix: a sentence and a patch op, or nothing when the grace period fits. */
export function graceFix(c: Container, plan: TimingPlan): { text: string; ops: PatchOp[] } {
  if (plan.gracePlanned <= plan.graceNow) return { text: '', ops: [] };
  return {
    text: ` and raise terminationGracePeriodSeconds from ${plan.graceNow} to ${plan.gracePlanned} (${plan.graceWhy}: the grace period counts from the deletion, preStop included)`,
    ops: [{ path: [...c.workload.podPath, 'terminationGracePeriodSeconds'], value: plan.gracePlanned }],
  };
}
