// Worker lifecycle; /healthz (liveness) reports it and is ok until `closed`.
export const WORKER_STATES = ['starting', 'running', 'draining', 'closing', 'closed'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export class Lifecycle {
  private current: WorkerState = 'starting';
  get state(): WorkerState {
    return this.current;
  }
  set(next: WorkerState): void {
    this.current = next;
  }
}
