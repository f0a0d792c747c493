import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { exitWith } from '../common/log.js';
import type { ShutdownStyle } from './config.js';
import type { ActiveJobs } from './active-jobs.js';
import type { WorkerMetrics } from './metrics.js';
import type { Lifecycle } from './state.js';

export interface ShutdownDeps {
  style: ShutdownStyle;
  worker: Worker;
  active: ActiveJobs;
  lifecycle: Lifecycle;
  deadlineMs: number;
  log: Logger;
  metrics: WorkerMetrics;
  /** Closes what the worker depends on, in reverse order of opening (effect client, metrics server). */
  closeDeps: () => Promise<void>;
}

/** Time kept back before the deadline for the requeue itself, closing connections and flushing logs. */
export function requeueMargin(deadlineMs: number): number {
  return Math.min(2000, Math.max(200, Math.round(deadlineMs / 4)));
}

/**
 * Installs the SIGTERM/SIGINT handler the levers ask for. `none` installs nothing on purpose:
 * that is the failure mode (the signal's default action kills the process mid-job).
 * Returns the shutdown function (memoised) so main can reuse it, or null for `none`.
 */
export function installShutdown(deps: ShutdownDeps): ((signal: string) => Promise<void>) | null {
  const { style, log } = deps;
  if (style === 'none') {
    log.info({ event: 'no-signal-handler' }, 'pid1 lever off: no SIGTERM handler installed');
    return null;
  }
  let started: Promise<void> | undefined;
  const shutdown = (signal: string): Promise<void> => {
    if (started) {
      exitWith(log, 71, 'second signal during shutdown: exiting at once', { event: 'second-signal', signal });
    }
    started = run(deps, signal);
    return started;
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void shutdown(sig));
  return shutdown;
}

async function run(deps: ShutdownDeps, signal: string): Promise<void> {
  const { style, worker, active, lifecycle, deadlineMs, log, metrics, closeDeps } = deps;
  const t0 = Date.now();
  const deadlineAt = t0 + deadlineMs;
  lifecycle.set('draining');
  log.info({ event: 'signal', signal, style, activeJobs: active.size, deadlineMs }, 'shutdown started');
  // The guardian: whatever hangs, the process is gone before the orchestrator's SIGKILL.
  const guardian = setTimeout(() => {
    log.error({ event: 'guardian-fired', activeJobs: active.size, elapsedMs: Date.now() - t0 }, 'shutdown deadline reached');
    exitWith(log, 70, 'guardian deadline fired');
  }, deadlineMs);
  const phase = (name: string, since: number) => {
    const ms = Date.now() - since;
    metrics.shutdownPhase.observe({ phase: name }, ms / 1000);
    return ms;
  };

  try {
    if (style === 'naive-close') {
      // The naive way: drop the connections now; BullMQ's stall detection will find the active jobs
      // after lockDuration, and redeliver them whether or not their side effect already happened.
      const abandoned = active.size;
      lifecycle.set('closing');
      await worker.close(true);
      log.info({ event: 'dependency-closed', dependency: 'queue', abandonedJobs: abandoned, ms: phase('close-queue', t0) }, 'queue closed without waiting for active jobs');
    } else {
      const requeueAt = deadlineAt - requeueMargin(deadlineMs);
      // close() stops fetching at once (it cuts the blocking fetch) and resolves once every
      // active job has settled, by completing or by being moved back to wait.
      const closing = worker.close();
      const cut = active.beginRequeue(requeueAt);
      log.info({ event: 'fetching-stopped', activeJobs: active.size, requeuedAtOnce: cut, requeueInMs: requeueAt - Date.now() }, 'stopped fetching; active jobs finish if they fit, else go back to wait');
      const timer = setTimeout(() => {
        const n = active.requeueAll();
        if (n > 0) log.info({ event: 'requeue-deadline', requeued: n }, 'finish budget spent: requeueing the rest');
      }, Math.max(0, requeueAt - Date.now()));
      await active.whenEmpty();
      clearTimeout(timer);
      const drainMs = phase('drain-jobs', t0);
      log.info({ event: 'jobs-drained', ms: drainMs, msBeforeDeadline: deadlineAt - Date.now() }, 'no active jobs left');
      lifecycle.set('closing');
      const t1 = Date.now();
      await closing;
      log.info({ event: 'dependency-closed', dependency: 'queue', ms: phase('close-queue', t1) }, 'queue connections closed');
    }
    const t2 = Date.now();
    await closeDeps();
    log.info({ event: 'dependency-closed', dependency: 'redis+metrics', ms: phase('close-deps', t2) }, 'dependencies closed');
    phase('total', t0);
    lifecycle.set('closed');
    clearTimeout(guardian);
    exitWith(log, 0, 'clean shutdown', { elapsedMs: Date.now() - t0, msBeforeDeadline: deadlineAt - Date.now() });
  } catch (err) {
    log.error({ event: 'shutdown-error', err }, 'shutdown step failed');
    clearTimeout(guardian);
    exitWith(log, 70, 'shutdown failed', { elapsedMs: Date.now() - t0 });
  }
}
