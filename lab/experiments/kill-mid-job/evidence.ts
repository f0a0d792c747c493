import type { LogLine } from '../../support/procs.js';

// What the worker logs prove, across every worker process of one mode (killed ones included).

export interface Deliveries {
  redelivered: number; // jobs delivered more than once
  redeliveredAfterEffect: number; // ... whose earlier delivery had already applied the effect
  suppressed: number; // job-duplicate-suppressed lines
  requeued: number; // job-requeued lines (explicit hand-back on SIGTERM)
  stalled: number; // job-stalled lines (found by stall detection)
  completed: number; // distinct keys with job-completed
  failed: number; // job-failed lines
}

export interface EvidenceLine {
  proc: string;
  pid: number;
  time: string;
  event: string;
  attempt?: number;
  stalledCount?: number;
  balance?: number;
}

const JOB_EVENTS = new Set(['job-started', 'job-applied', 'job-duplicate-suppressed', 'job-requeued', 'job-completed', 'job-failed']);

function byKey(lines: LogLine[]): Map<string, LogLine[]> {
  const m = new Map<string, LogLine[]>();
  for (const l of lines) {
    if (!JOB_EVENTS.has(l.event) || typeof l.idempotencyKey !== 'string') continue;
    let list = m.get(l.idempotencyKey);
    if (!list) m.set(l.idempotencyKey, (list = []));
    list.push(l);
  }
  for (const list of m.values()) list.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  return m;
}

function redeliveredAfterEffect(list: LogLine[]): boolean {
  const firstEffect = list.findIndex((l) => l.event === 'job-applied');
  return firstEffect >= 0 && list.slice(firstEffect + 1).some((l) => l.event === 'job-started');
}

export function analyseDeliveries(lines: LogLine[]): Deliveries {
  const keys = byKey(lines);
  let redelivered = 0;
  let after = 0;
  const completed = new Set<string>();
  for (const [k, list] of keys) {
    // `attempt` is BullMQ's attemptsStarted: it also counts a delivery whose process died before
    // it could log job-started.
    const starts = list.filter((l) => l.event === 'job-started');
    if (starts.length > 1 || starts.some((l) => Number(l.attempt) > 1)) redelivered++;
    if (redeliveredAfterEffect(list)) after++;
    if (list.some((l) => l.event === 'job-completed')) completed.add(k);
  }
  const count = (e: string) => lines.filter((l) => l.event === e).length;
  return {
    redelivered,
    redeliveredAfterEffect: after,
    suppressed: count('job-duplicate-suppressed'),
    requeued: count('job-requeued'),
    stalled: count('job-stalled'),
    completed: completed.size,
    failed: count('job-failed'),
  };
}

/** The full log story of up to `max` jobs redelivered after their effect had been applied. */
export function evidence(lines: LogLine[], max: number): Record<string, EvidenceLine[]> {
  const out: Record<string, EvidenceLine[]> = {};
  for (const [k, list] of byKey(lines)) {
    if (Object.keys(out).length >= max) break;
    if (!redeliveredAfterEffect(list)) continue;
    out[k] = list.map((l) => ({
      proc: l.proc, pid: l.pid, time: l.time, event: l.event,
      ...(l.attempt !== undefined ? { attempt: l.attempt } : {}),
      ...(l.stalledCount !== undefined ? { stalledCount: l.stalledCount } : {}),
      ...(l.balance !== undefined ? { balance: l.balance } : {}),
    }));
  }
  return out;
}

/** Jobs a process had started and not finished (completed, requeued, failed) when it was signalled. */
export function activeJobsOf(lines: LogLine[]): number {
  const open = new Set<string>();
  for (const l of lines) {
    if (l.event === 'job-started') open.add(String(l.jobId));
    else if (l.event === 'job-completed' || l.event === 'job-requeued' || l.event === 'job-failed') open.delete(String(l.jobId));
  }
  return open.size;
}
