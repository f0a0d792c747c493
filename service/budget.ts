// Time reserved after the last request for closing the queue producer and Redis and flushing logs.
export const CLOSE_MARGIN_MS = 200;
export const RETRY_AFTER_SECONDS = 1;

/** The shutdown budget: when the process will stop, counted from the signal. */
export class ShutdownBudget {
  #endsAt: number | undefined;

  /** Arms the budget at signal time; later calls keep the first end (shutdown is idempotent). */
  start(totalMs: number, now = Date.now()): void {
    this.#endsAt ??= now + totalMs;
  }

  get started(): boolean {
    return this.#endsAt !== undefined;
  }

  remainingMs(now = Date.now()): number {
    return this.#endsAt === undefined ? Infinity : this.#endsAt - now;
  }

  /** True when work expected to take `expectedMs` would still be running when the process stops. */
  cannotFinish(expectedMs: number, now = Date.now()): boolean {
    return expectedMs + CLOSE_MARGIN_MS > this.remainingMs(now);
  }
}
