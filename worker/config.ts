import { envInt, envRedisUrl, envString } from '../common/env.js';
import { parseFixes, formatFixes, type Fixes } from '../common/levers.js';
import { LabError } from '../common/errors.js';

// Same rule as the service: BullMQ builds keys as `bull:<queue>:...`, so a colon or space would
// silently give a worker and a service that never see each other's jobs.
const QUEUE_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

// How the side effect is applied: `requeue` makes it exactly-once, without it the naive increment
// doubles on redelivery (the failure mode the lab has to be able to show).
export const EFFECT_MODES = ['idempotent', 'naive'] as const;
export type EffectMode = (typeof EFFECT_MODES)[number];

// What SIGTERM does. No `pid1` = no handler at all (the default action kills the process, like a
// kill -9 as far as BullMQ is concerned); `pid1` alone = a handler that closes at once;
// `pid1` + `requeue` = stop fetching, finish what fits, hand the rest back before the deadline.
export const SHUTDOWN_STYLES = ['none', 'naive-close', 'requeue'] as const;
export type ShutdownStyle = (typeof SHUTDOWN_STYLES)[number];

export interface WorkerConfig {
  readonly redisUrl: string;
  readonly fixes: Fixes;
  readonly fixesText: string;
  readonly queueName: string;
  readonly host: string;
  readonly metricsPort: number;
  readonly jobMs: number;
  readonly concurrency: number;
  readonly lockMs: number;
  readonly shutdownDeadlineMs: number;
  readonly effectMode: EffectMode;
  readonly shutdownStyle: ShutdownStyle;
}

/** Validates the worker's environment; throws LabError (LAB_BAD_ENV / LAB_UNKNOWN_LEVER) naming the variable. */
export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const fixes = parseFixes(env.LAB_FIXES);
  const queueName = envString(env, 'QUEUE_NAME', 'jobs');
  if (!QUEUE_NAME_RE.test(queueName)) {
    throw new LabError('LAB_BAD_ENV', `QUEUE_NAME="${queueName}" must match ${QUEUE_NAME_RE} (BullMQ key names)`);
  }
  const cfg: WorkerConfig = {
    redisUrl: envRedisUrl(env),
    fixes,
    fixesText: formatFixes(fixes),
    queueName,
    host: envString(env, 'HOST', '0.0.0.0'),
    // 0 = an ephemeral port, reported in the `listening` log line (tests run several workers).
    metricsPort: envInt(env, 'METRICS_PORT', 9464, 0, 65535),
    jobMs: envInt(env, 'JOB_MS', 300, 0, 600_000),
    concurrency: envInt(env, 'WORKER_CONCURRENCY', 8, 1, 1000),
    lockMs: envInt(env, 'LOCK_MS', 5000, 500, 600_000),
    shutdownDeadlineMs: envInt(env, 'SHUTDOWN_DEADLINE_MS', 8000, 100, 600_000),
    effectMode: fixes.has('requeue') ? 'idempotent' : 'naive',
    shutdownStyle: !fixes.has('pid1') ? 'none' : fixes.has('requeue') ? 'requeue' : 'naive-close',
  };
  return cfg;
}
