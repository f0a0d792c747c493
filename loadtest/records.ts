import type { ErrorClass } from './classes.js';

/** Which routing path a request took: straight to a pod through the L4 view, or through the L7 ingress. */
export type PathKind = 'l4' | 'ingress';

/** One request, as written to requests.jsonl.gz. Times are epoch milliseconds (fractional). */
export interface RequestRecord {
  /** when the open-model schedule said it must be sent; latency counts from here */
  t_sched: number;
  t_start: number;
  t_end: number;
  route: string;
  path: PathKind;
  status: number; // 0 when no response arrived
  class: ErrorClass;
  errorCode?: string;
  pod?: string;
}

/** A POST /jobs the service answered 202: the audit checks each one was applied exactly once. */
export interface AcceptedJob {
  idempotencyKey: string;
  account: string;
  amount: number;
}

export function latencyMs(r: RequestRecord): number {
  return r.t_end - r.t_sched;
}

/**
 * Requests whose latency says something about the deploy: every route but /slow, whose latency is
 * its own parameter (1 s) and would make every p99 read "1 s" whatever happens.
 */
export function countsForLatency(r: RequestRecord): boolean {
  return r.route !== 'slow';
}
