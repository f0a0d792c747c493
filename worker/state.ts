// The worker's lifecycle as named states, like the service's (service/lifecycle.ts): a state only
// ever moves forward. /healthz (liveness) reports it and is ok until CLOSED; every transition is
// logged (`event: state`, with the time spent in the previous state) and timed in
// worker_lifecycle_phase_seconds.
export const STARTING = 'starting';
export const RUNNING = 'running';
/** Signal (or uncaught error) received: no new jobs fetched; active ones finish or are requeued. */
export const DRAINING = 'draining';
/** No active job left (or abandoned by the naive close): closing the queue connections. */
export const CLOSING = 'closing';
export const CLOSED = 'closed';

export const WORKER_STATES = [STARTING, RUNNING, DRAINING, CLOSING, CLOSED] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export type TransitionListener = (to: WorkerState, from: WorkerState, msInPrevious: number) => void;

export class Lifecycle {
  #state: WorkerState = STARTING;
  #since = performance.now();
  readonly #listeners: TransitionListener[] = [];

  get state(): WorkerState {
    return this.#state;
  }

  onTransition(fn: TransitionListener): void {
    this.#listeners.push(fn);
  }

  /** Moves forward to `to`; moving backwards or staying is a programming error. */
  to(to: WorkerState): void {
    const from = this.#state;
    if (WORKER_STATES.indexOf(to) <= WORKER_STATES.indexOf(from)) throw new Error(`worker lifecycle cannot go from ${from} to ${to}`);
    const now = performance.now();
    const ms = now - this.#since;
    this.#state = to;
    this.#since = now;
    for (const fn of this.#listeners) fn(to, from, ms);
  }
}
