import type { Logger } from 'pino';
import type { ArrivalRecorder } from './arrivals.js';
import type { ShutdownBudget } from './budget.js';
import type { ConnectionTracker } from './connections.js';
import type { ServiceDeps } from './deps.js';
import type { ServiceEnv } from './env.js';
import type { EventHub } from './events/hub.js';
import type { OpenStreams } from './events/open-streams.js';
import type { EventTicker } from './events/ticker.js';
import type { Lifecycle } from './lifecycle.js';
import type { ServiceMetrics } from './metrics.js';

/** What routes, hooks and the shutdown share; built once in main.ts. */
export interface ServiceContext {
  readonly env: ServiceEnv;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly metrics: ServiceMetrics;
  readonly tracker: ConnectionTracker;
  readonly budget: ShutdownBudget;
  readonly deps: ServiceDeps;
  /** what was routed to this pod, per peer and new/reused connection (lab/engine/deregistration.ts reads it) */
  readonly arrivals: ArrivalRecorder;
  /** Long-lived connections: the event stream's producer, its per-pod reader, and the open SSE/WebSocket streams. */
  readonly ticker: EventTicker;
  readonly events: EventHub;
  readonly streams: OpenStreams;
  /** A plain flag for the per-request hot path; set once, when the first signal arrives. */
  readonly shutdown: { active: boolean };
}
