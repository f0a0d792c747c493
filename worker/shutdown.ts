import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { exitWith } from '../common/log.js';
import { EXIT_CLEAN, EXIT_GUARDIAN, EXIT_SECOND_SIGNAL, EXIT_UNCAUGHT } from '../common/exit-codes.js';
import type { ShutdownStyle } from './config.js';
import type { ActiveJobs } from './active-jobs.js';
import type { WorkerMetrics } from './metrics.js';
import { CLOSED, CLOSING, DRAINING, type Lifecycle } from './state.js';

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

export interface WorkerShutdown {
  /** The signal handler's shutdown; null when the pid1 lever is off (no handler at all). */
  readonly onSignal: ((signal: string) => Promise<void>) | null;
  /** An uncaught error: the same shutdown (the naive close when no handler is installed), then exit 72. */
  onFatal(): void;
}

/**
 * Installs the SIGTERM/SIGINT handler the levers ask for. `none` installs nothing on purpose:
 * that is the failure mode (the signal's default action kills the process mid-job). The shutdown
 * runs once; a second signal during it exits 71 at once.
 */
export function installShutdown(deps: ShutdownDeps): WorkerShutdown {
  const { style, log } = deps;
  let started: Promise<void> | undefined;
  let fatal = false;
  const begin = (trigger: string, how: ShutdownStyle): Promise<void> => {
    started ??= run({ ...deps, style: how }, trigger, () => fatal);
    return started;
  };
  const onFatal = () => {
    fatal = true;
    if (!started) void begin('uncaught', style === 'none' ? 'naive-close' : style);
  };
  if (style === 'none') {
    log.info({ event: 'no-signal-handler' }, 'pid1 lever off: no SIGTERM handler installed');
    return { onSignal: null, onFatal };
  }
  const onSignal = (signal: string): Promise<void> => {
    if (started) exitWith(log, EXIT_SECOND_SIGNAL, 'second signal during shutdown: exiting at once', { event: 'second-signal', signal });
    return begin(signal, style);
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void onSignal(sig));
  return { onSignal, onFatal };
}

async function run(deps: ShutdownDeps, signal: string, fatal: () => boolean): Promise<void> {
  const { style, worker, active, lifecycle, deadlineMs, log, metrics, closeDeps } = deps;
  const t0 = Date.now();
  const deadlineAt = t0 + deadlineMs;
  if (lifecycle.state !== DRAINING) lifecycle.to(DRAINING);
  log.info({ event: 'signal', signal, style, activeJobs: active.size, deadlineMs }, 'shutdown started');
  // The guardian: whatever hangs, the process is gone before the orchestrator's SIGKILL.
  const guardian = setTimeout(() => {
    log.error({ event: 'guardian-fired', activeJobs: active.size, elapsedMs: Date.now() - t0 }, 'shutdown deadline reached');
    exitWith(log, EXIT_GUARDIAN, 'guardian deadline fired');
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
      lifecycle.to(CLOSING);
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
      lifecycle.to(CLOSING);
      const t1 = Date.now();
      await closing;
      log.info({ event: 'dependency-closed', dependency: 'queue', ms: phase('close-queue', t1) }, 'queue connections closed');
    }
    const t2 = Date.now();
    await closeDeps();
    log.info({ event: 'dependency-closed', dependency: 'redis+metrics', ms: phase('close-deps', t2) }, 'dependencies closed');
    phase('total', t0);
    lifecycle.to(CLOSED);
    clearTimeout(guardian);
    const after = fatal() ? ' after an uncaught error' : '';
    exitWith(log, after ? EXIT_UNCAUGHT : EXIT_CLEAN, `clean shutdown${after}`, { elapsedMs: Date.now() - t0, msBeforeDeadline: deadlineAt - Date.now() });
  } catch (err) {
    log.error({ event: 'shutdown-error', err }, 'shutdown step failed');
    clearTimeout(guardian);
    exitWith(log, EXIT_GUARDIAN, 'shutdown failed', { elapsedMs: Date.now() - t0 });
  }
}
