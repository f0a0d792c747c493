import type { ErrorClass } from './classes.js';

// Which HTTP client the load generator behaves like. The kind target's k6 is a Go program: its
// requests go through Go's net/http Transport, which resends some failed requests by itself. Node's
// http.Agent and undici resend nothing. A local run that should count what k6 counts must therefore
// resend exactly what Go's Transport would: `go` (the default) does, `node` does not.

export const CLIENTS = ['go', 'node'] as const;
export type ClientName = (typeof CLIENTS)[number];
export const DEFAULT_CLIENT: ClientName = 'go';

/**
 * Go's idempotency test (src/net/http/request.go, `(*Request).isReplayable`): GET, HEAD, OPTIONS
 * and TRACE, or any request carrying an `Idempotency-Key` or `X-Idempotency-Key` header. (Go also
 * asks that a body can be rewound, through `GetBody`; the generator's bodies are in-memory strings,
 * which Go's NewRequest makes rewindable, so that condition always holds here.)
 */
export function isReplayable(method: string, headers: Readonly<Record<string, string>> = {}): boolean {
  if (['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(method.toUpperCase())) return true;
  return Object.keys(headers).some((h) => { const k = h.toLowerCase(); return k === 'idempotency-key' || k === 'x-idempotency-key'; });
}

/** What a client could know about one failed attempt: the inputs of Go's decision. */
export interface FailedAttempt {
  /** the connection had carried a request and its whole response before this one */
  reused: boolean;
  /** at least one byte of a response arrived on the connection for this attempt */
  responseByte: boolean;
  /** the request's bytes never reached the socket (the write itself failed, or no socket was used) */
  nothingWritten: boolean;
  replayable: boolean;
  /** the class the attempt failed with; a timeout is the caller's own deadline (a context cancellation in Go) */
  cls: ErrorClass;
}

/**
 * Whether Go's Transport sends the request again, on the next connection its pool gives it, after
 * this failed attempt. The rules of golang/go src/net/http/transport.go (read at commit a925402b62c0):
 * - `(*persistConn).shouldRetryRequest`: never when the connection was fresh (`isReused()` false:
 *   "There's no reason the server should've hung up on us"); on a reused one, a `nothingWrittenError`
 *   is resent whatever the method (the body being rewindable); otherwise only a replayable request,
 *   and only for `transportReadFromServerError` (the 1-byte Peek of the response failed: EOF or a
 *   reset before any response byte) or `errServerClosedIdle` (the read loop saw EOF on an idle
 *   connection just as the request was handed to it); anything else is not resent ("conservatively").
 * - `(*persistConn).mapRoundTripError`: a cancelled request (our timeout) returns the cancellation,
 *   which none of the above matches, so a timeout is never resent; a read failure with no request
 *   byte written becomes `nothingWrittenError`.
 * - `(*Transport).roundTrip` loops while shouldRetryRequest says so; each resend takes a connection
 *   from `getConn` (an idle one if any, else a dial), so a resend that lands on another reused
 *   connection that also fails is resent again, and one that fails on a fresh connection is not.
 * A response byte rules a resend out: both retryable errors mean the Peek for the first byte failed.
 */
export function goRetries(a: FailedAttempt): boolean {
  if (!a.reused || a.responseByte || a.cls === 'timeout') return false;
  if (a.nothingWritten) return true;
  return a.replayable;
}

/** The bound on resends of one request: Go's is the idle pool's size; the lab's loop is bounded anyway. */
export const MAX_GO_RESENDS = 8;

/**
 * How long a client keeps an idle keep-alive connection for reuse, as undici Pool options.
 * - `go`: k6's Transport (grafana/k6 internal/js/runner.go, read at commit 87883075ccd5) sets no
 *   `IdleConnTimeout`, which golang/go src/net/http/transport.go documents as "Zero means no limit"
 *   (net/http's DefaultTransport sets 90 s; both outlast every idle gap of the lab's runs). Go's
 *   Transport never reads the server's `Keep-Alive: timeout=` hint: an idle connection stays in its
 *   pool until the server's FIN arrives, so a request may be written just as the server closes it.
 *   undici honours the hint unless the threshold it subtracts from it is so negative that its cap wins
 *   (undici lib/dispatcher/client-h1.js: min(hint − keepAliveTimeoutThreshold, keepAliveMaxTimeout);
 *   client.js accepts any finite threshold), so the hint is ignored, as Go does.
 * - `node`: undici's own defaults (the hint minus 2 s, capped at 600 s; 4 s without a hint): a
 *   Node client closes an idle connection before a server that announces its timeout does.
 */
export function idleOptions(client: ClientName): { keepAliveTimeout?: number; keepAliveMaxTimeout?: number; keepAliveTimeoutThreshold?: number } {
  if (client === 'node') return {};
  return { keepAliveTimeout: GO_IDLE_MS, keepAliveMaxTimeout: GO_IDLE_MS, keepAliveTimeoutThreshold: -GO_IDLE_MS };
}

/** k6's "no limit", as a finite undici timeout: a day, longer than any run of the lab. */
export const GO_IDLE_MS = 86_400_000;

/** `--client` value check, for options that arrive as data (the CLI's choice option checks the same list). */
export function isClientName(v: unknown): v is ClientName {
  return typeof v === 'string' && (CLIENTS as readonly string[]).includes(v);
}
