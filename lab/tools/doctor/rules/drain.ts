import { containerName, type RuleContext } from '../context.js';
import { isServed, type Container } from '../model.js';
import { DRAIN_ENV } from '../profile.js';

// Drain: the grace period counts from the moment the pod is deleted, preStop included
// (kubernetes.io docs, "Termination of Pods"), so preStop + the app's own drain deadline must end
// before terminationGracePeriodSeconds, with a margin for the exit itself.

/** Seconds kept free between the end of the drain deadline and the SIGKILL. */
export const DRAIN_MARGIN_S = 1;

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
  if (d) {
    const pre = p.preStop.kind === 'native' || p.preStop.kind === 'exec' ? p.preStop.seconds : 0;
    const total = pre + d.value + DRAIN_MARGIN_S;
    if (total > p.graceS.value) {
      const room = p.graceS.value - pre - DRAIN_MARGIN_S;
      ctx.report('drain-exceeds-grace', w, [...w.podPath, 'terminationGracePeriodSeconds'],
        `${containerName(c)}: preStop ${pre} s + drain deadline ${d.value} s (${d.from}) + ${DRAIN_MARGIN_S} s margin = ${total} s exceeds ${p.graceS.from} ${p.graceS.value} s, so a slow drain is cut by SIGKILL before its own deadline fires and the requests still open are reset.`,
        room > 0 ? `Set the drain deadline to at most ${room} s, or terminationGracePeriodSeconds to at least ${Math.ceil(total)}.`
          : `Raise terminationGracePeriodSeconds to at least ${Math.ceil(total)}.`);
    }
  } else if (served && !p.lab) {
    ctx.report('drain-deadline-unknown', w, [...c.path, 'env'],
      `${containerName(c)}: no known drain-deadline variable (${DRAIN_ENV.map(([n]) => n).join(', ')}) and no --drain-s, so the doctor cannot check that preStop + drain fits in ${p.graceS.value} s of grace.`,
      'Pass --drain-s with the app\'s shutdown deadline, or set it through one of those variables.');
  }
}

export function drainRules(ctx: RuleContext): void {
  for (const c of ctx.containers()) check(ctx, c);
}
