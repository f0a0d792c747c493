// The service's lifecycle as named states. Order matters: a state only ever moves forward.
export const STARTING = 'STARTING';
export const READY = 'READY';
/** Signal received, /readyz failing, still serving normally (the readiness lever's drain delay). */
export const DRAINING = 'DRAINING';
/** Listener closed, waiting for in-flight requests and open connections. */
export const CLOSING = 'CLOSING';
/** Queue producer and Redis closed. */
export const CLOSED_DEPS = 'CLOSED_DEPS';
export const EXITING = 'EXITING';

export const STATES = [STARTING, READY, DRAINING, CLOSING, CLOSED_DEPS, EXITING] as const;
export type LifecycleState = (typeof STATES)[number];

export type TransitionListener = (to: LifecycleState, from: LifecycleState, msInPrevious: number) => void;

export class Lifecycle {
  #state: LifecycleState = STARTING;
  #since = performance.now();
  readonly #listeners: TransitionListener[] = [];

  get state(): LifecycleState {
    return this.#state;
  }

  get ready(): boolean {
    return this.#state === READY;
  }

  onTransition(fn: TransitionListener): void {
    this.#listeners.push(fn);
  }

  /** Moves forward to `to`; moving backwards or staying is a programming error. */
  to(to: LifecycleState): void {
    const from = this.#state;
    if (STATES.indexOf(to) <= STATES.indexOf(from)) {
      throw new Error(`lifecycle cannot go from ${from} to ${to}`);
    }
    const now = performance.now();
    const ms = now - this.#since;
    this.#state = to;
    this.#since = now;
    for (const fn of this.#listeners) fn(to, from, ms);
  }
}
