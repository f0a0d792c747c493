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
  /** the pod that answered (its `x-pod` response header) */
  pod?: string;
  // What the client could know about the request (absent in records of runs made before they were
  // recorded). On a request the client resent, they describe its first attempt: the one that failed.
  /** the connection had carried a request before (keep-alive reuse) */
  reused?: boolean;
  /** any response byte arrived */
  respByte?: boolean;
  /** idempotent by Go's rule (loadtest/client-semantics.ts isReplayable) */
  idempotent?: boolean;
  /** ms from the connection's opening to the request's write (unknown to k6: absent) */
  sockAgeMs?: number;
  /** address:port the connection was dialled to: a pod on the L4 path, the proxy on the ingress path */
  peer?: string;
  /** resends the client made by itself (the `go` client, loadtest/client-semantics.ts); absent = 0 */
  retries?: number;
  /** on a resent request: the class and error code its first attempt failed with (what a client without resends reports) */
  rawClass?: ErrorClass;
  rawErrorCode?: string;
}

/**
 * The first attempt went out on a reused keep-alive connection and no response byte came back: the
 * signature of a request written onto a connection its server was closing (the idle-close race).
 */
export function reusedWithoutResponse(r: RequestRecord): boolean {
  return r.reused === true && r.respByte === false;
}

/** The class a client that never resends would have reported. */
export function rawClassOf(r: RequestRecord): ErrorClass {
  return r.rawClass ?? r.class;
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
