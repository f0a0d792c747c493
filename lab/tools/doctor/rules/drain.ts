import { containerName, type RuleContext } from '../context.js';
import type { Container } from '../model.js';
import { isServed } from '../routing.js';
import { timingPlan } from '../plan.js';
import { DRAIN_ENV } from '../profile.js';
import { CHECK_MARGIN_S, fitsGrace } from '../sizing.js';

// Drain: the grace period counts from the moment the pod is deleted, preStop included
// (kubernetes.io docs, "Termination of Pods"), so preStop + the app's own drain deadline must end
// before terminationGracePeriodSeconds, with a margin for the exit itself.

function check(ctx: RuleContext, c: Container): void {
  const p = ctx.profile(c);
  const w = c.workload;
  const served = isServed(ctx.model, c);
  if (p.lab?.role === 'service' && !p.lab.fixes.has('drain') && served) {
    ctx.report('drain-disabled', w, [...c.path, 'env'],
      `${containerName(c)}: LAB_FIXES lacks drain, so on SIGTERM the app closes Redis first and destroys open keep-alive sockets instead of finishing in-flight requests; ${ctx.evidence.cite('without-drain', [['failed requests in the deploy window', (s) => s.windowCounts.http_503 + s.windowCounts.reset + s.windowCounts.http_502 + s.windowCounts.http_5xx_other]])}.`,
      'Add drain to LAB_FIXES (deadline SHUTDOWN_DEADLINE_MS, shorter than the grace period minus preStop).');
  }
  const d = p.drainDeadlineS;
  const pre = p.preStop.kind === 'native' || p.preStop.kind === 'exec' ? p.preStop.seconds : 0;
  const plan = timingPlan(ctx, c);
  const gracePath = [...w.podPath, 'terminationGracePeriodSeconds'];
  const patch = plan.gracePlanned > plan.graceNow ? [{ path: gracePath, value: plan.gracePlanned }] : undefined;
  if (d) {
    const total = pre + d.value + CHECK_MARGIN_S;
    if (!fitsGrace(pre, d.value, p.graceS.value)) {
      const room = p.graceS.value - pre - CHECK_MARGIN_S;
      ctx.report('drain-exceeds-grace', w, gracePath,
        `${containerName(c)}: preStop ${pre} s + drain deadline ${d.value} s (${d.from}) + ${CHECK_MARGIN_S} s margin = ${total} s exceeds ${p.graceS.from} ${p.graceS.value} s, so a slow drain is cut by SIGKILL before its own deadline fires and the requests still open are reset.`,
        `Raise terminationGracePeriodSeconds to ${plan.gracePlanned} (${plan.graceWhy})${room > 0 ? `, or set the drain deadline to at most ${room} s` : ''}.`,
        undefined, patch);
    }
  } else {
    if (pre > 0 && pre + CHECK_MARGIN_S > p.graceS.value) {
      // flagged whether or not the drain deadline is known: SIGKILL lands during (or right after) the preStop
      ctx.report('drain-prestop-exceeds-grace', w, gracePath,
        `${containerName(c)}: preStop ${pre} s leaves ${Math.max(0, p.graceS.value - pre)} s of ${p.graceS.from} ${p.graceS.value} s, which counts from the deletion, preStop included: the app ${pre >= p.graceS.value ? 'is SIGKILLed before it ever gets SIGTERM' : 'gets SIGTERM with no time left to drain'}, and every open request is reset.`,
        `Raise terminationGracePeriodSeconds to ${plan.gracePlanned} (${plan.graceWhy}).`, undefined, patch);
    }
    if (served && !p.lab) {
      ctx.report('drain-deadline-unknown', w, [...c.path, 'env'],
        `${containerName(c)}: no known drain-deadline variable (${DRAIN_ENV.map(([n]) => n).join(', ')}) and no --drain-s, so the doctor cannot check that preStop + drain fits in ${p.graceS.value} s of grace.`,
        'Pass --drain-s with the app\'s shutdown deadline, or set it through one of those variables.');
    }
  }
}

export function drainRules(ctx: RuleContext): void {
  for (const c of ctx.containers()) check(ctx, c);
}
