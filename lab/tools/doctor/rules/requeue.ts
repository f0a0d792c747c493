import { containerName, type RuleContext } from '../context.js';
import type { Container } from '../model.js';

// Requeue: a queue consumer gets the same grace period as anything else. A job that cannot finish
// in it must be handed back (BullMQ: job.moveToWait) before the SIGKILL; otherwise it waits for its
// lock to expire and the next stall check (lockDuration + stalledInterval) and may run twice.

function check(ctx: RuleContext, c: Container): void {
  const p = ctx.profile(c);
  const q = p.consumer;
  if (!q) return;
  const w = c.workload;
  const redelivery = `${q.lockS.value} s lock (${q.lockS.from}) + ${q.stalledS.value} s stall check (${q.stalledS.from})`;
  const pre = p.preStop.kind === 'native' || p.preStop.kind === 'exec' ? p.preStop.seconds : 0;
  const budget = Math.min(p.graceS.value - pre, p.drainDeadlineS?.value ?? Infinity);
  if (q.handsBack === 'no') {
    ctx.report('requeue-no-handback', w, [...c.path, 'env'],
      `${containerName(c)}: LAB_FIXES lacks requeue, so jobs active at SIGTERM are neither finished in order nor handed back: they are redelivered only after ${redelivery} and applied again; ${ctx.evidence.killMidJob()}; ${ctx.evidence.cite('without-requeue', [['duplicated side effects', (s) => s.jobs.duplicated]])}.`,
      'Add requeue (it needs pid1 too) to LAB_FIXES: active jobs are finished or moved back to wait before the deadline, and the effect is idempotent.');
  } else if (q.handsBack === 'unknown') {
    if (q.jobS && q.jobS.value > budget) {
      ctx.report('requeue-job-exceeds-grace', w, [...c.path, 'env'],
        `${containerName(c)}: a job takes ${q.jobS.value} s (${q.jobS.from}) but only ${budget} s remain after SIGTERM, and nothing shows that the consumer hands it back, so it is redelivered after ${redelivery}.`,
        'Hand active jobs back on SIGTERM (BullMQ job.moveToWait(token)) before the deadline, or raise terminationGracePeriodSeconds above the job time.');
    } else {
      ctx.report('requeue-handback-unknown', w, [...c.path, 'env'],
        `${containerName(c)} consumes a queue; the manifest cannot tell whether it hands active jobs back on SIGTERM, and if it does not, a job cut off by the SIGKILL after ${p.graceS.value} s waits ${redelivery} before it runs again.`,
        'Make sure the worker stops fetching on SIGTERM and moves jobs that cannot finish in time back to wait; make the job effect idempotent.');
    }
  }
}

export function requeueRules(ctx: RuleContext): void {
  for (const c of ctx.containers()) check(ctx, c);
}
