import { envInt, envRedisUrl, envString } from '../common/env.js';
import { LabError } from '../common/errors.js';
import { parseFixes, type Fixes } from '../common/levers.js';

type Env = Record<string, string | undefined>;

/**
 * `jitter`: idle sockets are destroyed as the listener closes, at random moments over CLOSE_JITTER_MS
 * (surge), or all at once. `client-window`: idle sockets stay open; the next request on one is answered
 * with `Connection: close`, and one still idle is closed only once its client's idle window has passed
 * since its last response, or at the latest SHUTDOWN_DEADLINE_MS − 1 s after the signal.
 */
export const IDLE_CLOSE_MODES = ['jitter', 'client-window'] as const;
export type IdleClose = (typeof IDLE_CLOSE_MODES)[number];

/** Everything the service reads from its environment, validated once at start. */
export interface ServiceEnv {
  readonly port: number;
  readonly host: string;
  readonly redisUrl: string;
  readonly fixes: Fixes;
  readonly queueName: string;
  readonly drainDelayMs: number;
  readonly shutdownDeadlineMs: number;
  readonly closeJitterMs: number;
  /** How a draining pod ends idle keep-alive sockets once its listener closed (IDLE_CLOSE; docs/service.md). */
  readonly idleClose: IdleClose;
  /** client-window: how long a client may keep a connection idle before it drops it itself (CLIENT_IDLE_WINDOW_MS). */
  readonly clientIdleWindowMs: number;
  readonly slowMaxMs: number;
  readonly redisConnectTimeoutMs: number;
  /** Idle keep-alive sockets close after this long; must outlive every proxy's upstream idle timeout in front (lab/tools/doctor/idle-timeouts.ts). */
  readonly keepAliveTimeoutMs: number;
  /** Node's headersTimeout; kept above keepAliveTimeoutMs so a reused socket is never cut by it first. */
  readonly headersTimeoutMs: number;
  readonly configFile: string | undefined;
  /** Long-lived connections (docs/service.md): event pace, SSE heartbeat and retry hint, upload read rate, stream drain window. */
  readonly eventsIntervalMs: number;
  readonly heartbeatMs: number;
  readonly sseRetryMs: number;
  readonly uploadBytesPerS: number;
  readonly uploadMaxBytes: number;
  readonly streamDrainMs: number;
  /** LAB_TEST_FAULTS=1 adds GET /__test/fault (tests of the uncaught-error path only). */
  readonly testFaults: boolean;
}

// BullMQ builds its Redis keys as `bull:<queue>:...`; a colon or space in the name would
// silently make a different (and unreadable) key layout, so the name is kept to a safe alphabet.
const QUEUE_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws LabError (LAB_BAD_ENV or LAB_UNKNOWN_LEVER) naming the variable; changes nothing. */
export function parseServiceEnv(env: Env): ServiceEnv {
  const fixes = parseFixes(env.LAB_FIXES);
  const queueName = envString(env, 'QUEUE_NAME', 'jobs');
  if (!QUEUE_NAME_RE.test(queueName)) {
    throw new LabError('LAB_BAD_ENV', `QUEUE_NAME="${queueName}" must match ${QUEUE_NAME_RE} (BullMQ key names)`);
  }
  const drainDelayMs = envInt(env, 'DRAIN_DELAY_MS', 2000, 0, 600_000);
  const shutdownDeadlineMs = envInt(env, 'SHUTDOWN_DEADLINE_MS', 8000, 100, 3_600_000);
  // The guardian counts from the signal, so a drain delay at or past it would leave no time to drain at all.
  if (fixes.has('readiness') && fixes.has('drain') && drainDelayMs >= shutdownDeadlineMs) {
    throw new LabError('LAB_BAD_ENV', `DRAIN_DELAY_MS=${drainDelayMs} must be less than SHUTDOWN_DEADLINE_MS=${shutdownDeadlineMs} (the deadline counts from the signal)`);
  }
  // 72 s is Fastify's own keepAliveTimeout default, which every run before this variable existed used:
  // above ingress-nginx's and AWS ALB's 60 s upstream idle timeout (not above GFE's 600 s or Envoy's 1 h).
  const keepAliveTimeoutMs = envInt(env, 'KEEPALIVE_TIMEOUT_MS', 72_000, 1, 3_600_000);
  const headersTimeoutMs = envInt(env, 'HEADERS_TIMEOUT_MS', 73_000, 1, 3_600_000);
  if (headersTimeoutMs <= keepAliveTimeoutMs) {
    throw new LabError('LAB_BAD_ENV', `HEADERS_TIMEOUT_MS=${headersTimeoutMs} must be greater than KEEPALIVE_TIMEOUT_MS=${keepAliveTimeoutMs} (a reused idle socket must not hit the headers timeout first)`);
  }
  const idleClose = envString(env, 'IDLE_CLOSE', 'jitter');
  if (!(IDLE_CLOSE_MODES as readonly string[]).includes(idleClose)) {
    throw new LabError('LAB_BAD_ENV', `IDLE_CLOSE="${idleClose}" must be one of ${IDLE_CLOSE_MODES.join(', ')}`);
  }
  // No client keeps a connection idle longer than the server lets it: the server's own keep-alive
  // timeout bounds every client's window, so it is the default.
  const clientIdleWindowMs = envInt(env, 'CLIENT_IDLE_WINDOW_MS', keepAliveTimeoutMs, 0, 3_600_000);
  const configFile = envString(env, 'CONFIG_FILE', '');
  return {
    port: envInt(env, 'PORT', 3000, 0, 65535),
    host: envString(env, 'HOST', '0.0.0.0'),
    redisUrl: envRedisUrl(env),
    fixes,
    queueName,
    drainDelayMs,
    shutdownDeadlineMs,
    closeJitterMs: envInt(env, 'CLOSE_JITTER_MS', 500, 0, 60_000),
    idleClose: idleClose as IdleClose,
    clientIdleWindowMs,
    slowMaxMs: envInt(env, 'SLOW_MAX_MS', 30_000, 0, 600_000),
    redisConnectTimeoutMs: envInt(env, 'REDIS_CONNECT_TIMEOUT_MS', 5000, 100, 120_000),
    keepAliveTimeoutMs,
    headersTimeoutMs,
    configFile: configFile === '' ? undefined : configFile,
    eventsIntervalMs: envInt(env, 'EVENTS_INTERVAL_MS', 200, 10, 60_000),
    heartbeatMs: envInt(env, 'HEARTBEAT_MS', 5000, 100, 300_000),
    sseRetryMs: envInt(env, 'SSE_RETRY_MS', 1000, 0, 60_000),
    uploadBytesPerS: envInt(env, 'UPLOAD_BYTES_PER_S', 262_144, 1024, 1_073_741_824),
    uploadMaxBytes: envInt(env, 'UPLOAD_MAX_BYTES', 16_777_216, 1, 1_073_741_824),
    streamDrainMs: envInt(env, 'STREAM_DRAIN_MS', 3000, 0, 3_600_000),
    testFaults: env.LAB_TEST_FAULTS === '1',
  };
}
