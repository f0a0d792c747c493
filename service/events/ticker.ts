import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { EVENTS_KEY } from './stream-id.js';

// Every pod ticks, but a slot gets one event whatever the number of pods: each tick XADDs with the
// explicit id `<slot start ms>-0`, and Redis refuses an id not greater than the stream's top
// ("equal or smaller than the target stream top item"), so the first pod wins and the others'
// errors are the dedup. No lease, no leader election, and the pace survives any rollout as long
// as one pod lives. (Across nodes this assumes clocks within one interval; a late tick just loses.)
const DUP_ID = /equal or smaller than the target stream top item/;
/** Bounded history for resumes: at the default 5 events/s, ~5.5 hours. */
const MAXLEN = 100_000;

export const TICKER_STATES = { Running: 'running', Stopped: 'stopped' } as const;
export type TickerState = (typeof TICKER_STATES)[keyof typeof TICKER_STATES];

export class EventTicker {
  state: TickerState = TICKER_STATES.Running;
  #timer: NodeJS.Timeout | undefined;
  #reported = false;
  appended = 0;

  constructor(private readonly redis: Redis, private readonly intervalMs: number, private readonly log: Logger) {
    this.#schedule();
  }

  #schedule(): void {
    if (this.state !== TICKER_STATES.Running) return;
    const now = Date.now();
    const next = (Math.floor(now / this.intervalMs) + 1) * this.intervalMs;
    this.#timer = setTimeout(() => { void this.#tick(next); }, next - now);
  }

  async #tick(slotMs: number): Promise<void> {
    this.#schedule();
    if (this.redis.status !== 'ready') return;
    try {
      await this.redis.xadd(EVENTS_KEY, 'MAXLEN', '~', MAXLEN, `${slotMs}-0`, 'seq', String(slotMs / this.intervalMs), 'at', String(Date.now()));
      this.appended++;
      this.#reported = false;
    } catch (err) {
      if (DUP_ID.test((err as Error).message)) return;
      if (!this.#reported) this.log.warn({ event: 'events-append-failed', err: (err as Error).message }, `XADD ${EVENTS_KEY} failed: ${(err as Error).message}`);
      this.#reported = true;
    }
  }

  stop(): void {
    this.state = TICKER_STATES.Stopped;
    clearTimeout(this.#timer);
  }
}
