import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { LabError } from '../../../common/errors.js';

// Gateway API's HTTPRoute rule `retry` (GEP-1731; Standard channel since Gateway API v1.7.0, and in
// the experimental CRDs of v1.6.1 that Envoy Gateway v1.9.0's install.yaml applies), as Envoy Gateway
// v1.9.0 hands it to Envoy, and the Envoy rules that then decide each retry. Sources (envoyproxy/gateway
// at tag v1.9.0 unless said otherwise):
// - internal/gatewayapi/route.go processRouteRetry: attempts → NumRetries, backoff → BackOff.BaseInterval,
//   codes → RetryOn.HTTPStatusCodes (no triggers), timeouts.backendRequest → per-try timeout;
// - internal/xds/translator/route.go buildRetryPolicy: retry_on is always the default
//   "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes" (the route sets no
//   triggers); retriable_status_codes = the route's codes, or [503] when it names none; num_retries =
//   attempts, or 2 when unset; retry_host_predicate previous_hosts with host_selection_retry_max_attempts 5;
//   no retriable_request_headers, so the method is never looked at: a POST is retried like a GET;
// - internal/xds/translator/cluster.go buildXdsClusterCircuitBreaker: max_retries 1024 per cluster
//   (never reached by the lab's load, so not modelled);
// - internal/xds/translator/listener.go tcpListenerPerConnectionBufferLimitBytes 32768: Envoy's router
//   buffers a request body for a retry only up to that limit, past it "Give up on the retry/shadow"
//   (envoyproxy/envoy source/common/router/router.cc, Filter::decodeData);
// - Envoy docs, configuration/http/http_filters/router_filter (x-envoy-retry-on, x-envoy-max-retries):
//   connect-failure = the TCP connection to the upstream failed (refused, connect timeout); `reset`
//   (a disconnect or reset after the request went out) is NOT in the set, so such a try is never retried,
//   whatever its method; refused-stream is an HTTP/2 reset (the lab's upstreams speak HTTP/1.1) and
//   unavailable/cancelled read a gRPC status (the lab's service is not gRPC); the route timeout includes
//   every retry and its back-off; once response headers went downstream nothing is retried;
// - back-off: envoyproxy/envoy source/common/common/backoff_strategy.cc JitteredExponentialBackOffStrategy
//   (base 25 ms when unset, max_interval 10 × base, config/core/v3/backoff.proto): retry k waits
//   random() % interval_k ms, interval_1 = base, doubled while below max/2, then max. So the first retry
//   may leave sooner than `backoff`, although the Gateway API field calls it a minimum: Envoy Gateway
//   passes it as the jittered base, and the lab models what Envoy does.

export interface RouteRetry {
  /** retriable_status_codes: an upstream response with one of these is retried */
  readonly codes: readonly number[];
  /** num_retries: tries = 1 + retries */
  readonly retries: number;
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** buildRetryPolicy's defaults when the HTTPRoute leaves a field out (route.go retryDefault*). */
export const EG_RETRY_DEFAULTS = { codes: [503], retries: 2 } as const;
/** Envoy's retry back-off base when none is configured (router_filter docs; runtime upstream.base_retry_backoff_ms). */
export const ENVOY_DEFAULT_BACKOFF_MS = 25;
/** retry_host_predicate previous_hosts: a retry draws up to this many more times to avoid a host already tried. */
export const HOST_SELECTION_RETRY_MAX_ATTEMPTS = 5;
/** A request body longer than this is not buffered for a retry, so it is never retried. */
export const RETRY_BUFFER_LIMIT_BYTES = 32_768;

const bad = (where: string, what: string): never => { throw new LabError('LAB_BAD_ROUTE_RETRY', `${where}: ${what}`); };

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
/** Gateway API Duration (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`, the CRD's pattern) → ms, as Go's time.ParseDuration sums it. */
export function gatewayDurationMs(text: string, where: string): number {
  if (!/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(text)) bad(where, `backoff "${text}" is not a Gateway API Duration (1 to 4 of <0-99999><h|m|s|ms>, e.g. 100ms)`);
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|h|m|s)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms;
}

/**
 * An HTTPRoute rule's `retry` object → what Envoy runs. Refuses what the Gateway API CRD refuses
 * (attempts an integer ≥ 1, codes integers 400..599, backoff a Duration) and a zero backoff, which
 * Envoy's BackoffStrategy rejects (base_interval must be greater than zero).
 */
export function parseRouteRetry(spec: unknown, where: string): RouteRetry {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return bad(where, `retry must be an object with codes, attempts, backoff; got ${JSON.stringify(spec)}`);
  const s = spec as Record<string, unknown>;
  const unknown = Object.keys(s).filter((k) => !['codes', 'attempts', 'backoff'].includes(k));
  if (unknown.length > 0) bad(where, `retry has unknown field ${unknown.join(', ')} (valid: codes, attempts, backoff)`);
  let retries: number = EG_RETRY_DEFAULTS.retries;
  if (s.attempts !== undefined) {
    if (!Number.isSafeInteger(s.attempts) || (s.attempts as number) < 1) bad(where, `retry.attempts ${JSON.stringify(s.attempts)} must be an integer ≥ 1 (the CRD's minimum)`);
    retries = s.attempts as number;
  }
  let codes: readonly number[] = EG_RETRY_DEFAULTS.codes;
  if (s.codes !== undefined) {
    if (!Array.isArray(s.codes)) return bad(where, `retry.codes must be a list of HTTP status codes; got ${JSON.stringify(s.codes)}`);
    for (const c of s.codes) if (!Number.isSafeInteger(c) || c < 400 || c > 599) bad(where, `retry.codes has ${JSON.stringify(c)}: a retriable code is an integer 400..599 (HTTPRouteRetryStatusCode)`);
    if (s.codes.length > 0) codes = [...new Set(s.codes as number[])];
  }
  let base = ENVOY_DEFAULT_BACKOFF_MS;
  if (s.backoff !== undefined) {
    if (typeof s.backoff !== 'string') return bad(where, `retry.backoff must be a Duration string such as 100ms; got ${JSON.stringify(s.backoff)}`);
    base = gatewayDurationMs(s.backoff, where);
    if (base === 0) bad(where, `retry.backoff "${s.backoff}" is zero: Envoy's back-off base_interval must be greater than zero`);
  }
  return { codes, retries, baseBackoffMs: base, maxBackoffMs: 10 * base };
}

/** Back-off before retry `k` (1-based): JitteredExponentialBackOffStrategy's `random() % interval_k`. */
export function backoffMs(r: RouteRetry, k: number, random: () => number = Math.random): number {
  let interval = r.baseBackoffMs;
  for (let i = 1; i < k; i++) interval = interval < r.maxBackoffMs / 2 ? interval * 2 : r.maxBackoffMs;
  return Math.floor(random() * interval);
}

/** The `retry` of the first HTTPRoute rule that has one in a rendered manifest (k8s/rendered-l7/*.yaml), or undefined. */
export function loadRouteRetry(file: string): RouteRetry | undefined {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new LabError('LAB_MISSING_MANIFEST', `${file}: ${(e as Error).message}; run \`make render\``); }
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { rules?: Array<{ retry?: unknown }> } } | null;
    if (o?.kind !== 'HTTPRoute') continue;
    const i = (o.spec?.rules ?? []).findIndex((r) => r.retry !== undefined);
    if (i >= 0) return parseRouteRetry(o.spec!.rules![i]!.retry, `${file}: HTTPRoute/${o.metadata?.name} rules[${i}]`);
  }
  return undefined;
}
