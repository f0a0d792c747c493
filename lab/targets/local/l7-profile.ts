import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { LabError } from '../../../common/errors.js';
import { REPO_ROOT } from '../../engine/meta.js';
import type { Endpoint, LaggedView } from './endpoints.js';
import type { FailureKind, IngressTuning, L7Profile } from './ingress.js';
import { backoffMs, HOST_SELECTION_RETRY_MAX_ATTEMPTS, loadRouteRetry, RETRY_BUFFER_LIMIT_BYTES, type RouteRetry } from './route-retry.js';

// The L7 path's behaviour when it is not ingress-nginx: the in-lab proxy (ingress.ts) asks this
// profile which endpoint to use, whether a failed try may move on, and what the client sees.
// `envoy-gateway` = Envoy as Envoy Gateway v1.9.0 configures it when a Gateway + HTTPRoute exist and
// no BackendTrafficPolicy/ClientTrafficPolicy is attached. Each rule names its upstream source
// (envoyproxy/gateway at tag v1.9.0, the Envoy docs); docs/local-vs-kind.md lists them.

export const L7_PROFILES = ['ingress-nginx', 'envoy-gateway', 'envoy-gateway-retry'] as const;
export type L7Name = (typeof L7_PROFILES)[number];
export const DEFAULT_L7: L7Name = 'ingress-nginx';
/** The L7 paths routed by Gateway API objects (k8s/rendered-l7/<name>.yaml) rather than the arm's Ingress. */
export const isGatewayApi = (name: L7Name): boolean => name !== 'ingress-nginx';
/** `envoy-gateway-retry` = envoy-gateway with the HTTPRoute retry of this rendered file (k8s/components/route-retry). */
export const RETRY_ROUTE_FILE = join(REPO_ROOT, 'k8s', 'rendered-l7', 'envoy-gateway-retry.yaml');

const HOUR_MS = 3_600_000;

/**
 * Envoy Gateway v1.9.0 defaults:
 * - connect timeout 10 s: `tcpClusterPerConnectTimeout` (internal/xds/translator/cluster.go);
 * - no retries: a RetryPolicy is only set when the HTTPRoute or a BackendTrafficPolicy asks
 *   (internal/xds/translator/route.go, "Retries"; the Retry task shows a 500 returned at once);
 *   an HTTPRoute rule `retry` turns them on: route-retry.ts, passed to EnvoyGatewayProfile;
 * - route timeout: Envoy's RouteAction `timeout` default, 15 s, unless HTTPRoute `timeouts` set one
 *   (route.go sets `Timeout` only from the route) → 504 `upstream request timeout`;
 * - upstream idle timeout: Envoy's `common_http_protocol_options.idle_timeout` default, 1 h; EG sets
 *   it only from a BackendTrafficPolicy (cluster.go, ConnectionIdleTimeout). Envoy does not read the
 *   upstream's `Keep-Alive: timeout=5` hint, so a connection Node closes at 5 s idle may be reused;
 * - downstream idle timeout 1 h (HttpConnectionManager default; listener.go sets it only from a
 *   ClientTrafficPolicy); no request-count limit per connection, no request-body limit;
 * - connect failure, or a reset before response headers → 503 with the body
 *   `upstream connect error or disconnect/reset before headers. reset reason: …` (flags UF/UC/UR);
 *   no endpoint → 503 `no healthy upstream` (UH); a reset after headers cuts the client stream;
 * - load balancer LeastRequest (the BackendTrafficPolicy default, docs "Load Balancing"): with equal
 *   weights Envoy picks two hosts at random and takes the one with fewer active requests;
 * - terminating or not-ready EndpointSlice entries become DRAINING hosts
 *   (internal/gatewayapi/route.go getIREndpointsFromEndpointSlice; cluster.go HealthStatus_DRAINING):
 *   no new requests, in-flight ones finish on their connection. The lagged view already drops them.
 */
export const ENVOY_GATEWAY_TUNING: IngressTuning = {
  nextUpstream: new Set<string>(),
  tries: 1,
  connectTimeoutMs: 10_000,
  readTimeoutMs: 15_000,
  sendTimeoutMs: 15_000,
  upstreamKeepaliveTimeoutMs: HOUR_MS,
  upstreamKeepaliveRequests: Number.MAX_SAFE_INTEGER,
  clientKeepaliveTimeoutMs: HOUR_MS,
  clientMaxBodyBytes: Number.MAX_SAFE_INTEGER,
};

const RESET_REASON: Record<FailureKind, string> = {
  connect: 'connection failure',
  reset: 'connection termination',
  timeout: 'connection timeout',
};

export class EnvoyGatewayProfile implements L7Profile {
  readonly tuning: IngressTuning;
  private readonly active = new Map<string, number>();

  /** `retry`: the HTTPRoute rule's retry (route-retry.ts); without it Envoy Gateway sets no RetryPolicy. */
  constructor(readonly retry?: RouteRetry, readonly name: L7Name = 'envoy-gateway') {
    this.tuning = retry ? { ...ENVOY_GATEWAY_TUNING, tries: 1 + retry.retries } : ENVOY_GATEWAY_TUNING;
  }

  /**
   * Least request (P2C) over every endpoint; a retry's draw that lands on a host already tried is
   * drawn again up to HOST_SELECTION_RETRY_MAX_ATTEMPTS times (previous_hosts predicate), then kept.
   */
  pick(view: LaggedView, tried: ReadonlySet<string>): Endpoint | undefined {
    const all = view.endpoints();
    if (all.length === 0) return undefined;
    const draw = () => {
      const a = all[Math.floor(Math.random() * all.length)]!;
      const b = all[Math.floor(Math.random() * all.length)]!;
      return (this.active.get(b.pod) ?? 0) < (this.active.get(a.pod) ?? 0) ? b : a;
    };
    let ep = draw();
    for (let i = 0; i < HOST_SELECTION_RETRY_MAX_ATTEMPTS && tried.has(ep.pod); i++) ep = draw();
    this.active.set(ep.pod, (this.active.get(ep.pod) ?? 0) + 1);
    return ep;
  }

  release(ep: Endpoint): void {
    const n = (this.active.get(ep.pod) ?? 1) - 1;
    if (n <= 0) this.active.delete(ep.pod); else this.active.set(ep.pod, n);
  }

  /** retry_on connect-failure only: a try whose request went out and was reset is never retried, whatever the method. */
  mayRetry(_method: string, sent: boolean, kind: FailureKind, bodyBytes: number): boolean {
    return !!this.retry && !sent && kind === 'connect' && bodyBytes <= RETRY_BUFFER_LIMIT_BYTES;
  }

  /** retry_on retriable-status-codes: any method, when the body could be buffered. */
  retryOnStatus(status: number, bodyBytes: number): boolean {
    return !!this.retry && this.retry.codes.includes(status) && bodyBytes <= RETRY_BUFFER_LIMIT_BYTES;
  }

  backoffMs(k: number): number {
    return this.retry ? backoffMs(this.retry, k) : 0;
  }

  status(kind: FailureKind | 'none'): number {
    return kind === 'timeout' ? 504 : 503;
  }

  /** After retries Envoy's local reply says so: "retried and the latest reset reason: …" (flag URX). */
  page(res: ServerResponse, status: number, kind: FailureKind | 'none', retried: boolean): void {
    const body = kind === 'none' ? 'no healthy upstream'
      : status === 504 ? 'upstream request timeout'
        : `upstream connect error or disconnect/reset before headers. ${retried ? 'retried and the latest reset reason' : 'reset reason'}: ${RESET_REASON[kind]}`;
    if (res.headersSent) { res.destroy(); return; }
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), server: 'envoy' });
    res.end(body);
  }
}

/**
 * The profile for a name; undefined = ingress-nginx, the proxy's built-in behaviour. `retry` only with
 * envoy-gateway; envoy-gateway-retry reads its retry from RETRY_ROUTE_FILE (the manifest kind applies).
 */
export function l7Profile(name: string | undefined, retry?: RouteRetry, retryFile = RETRY_ROUTE_FILE): L7Profile | undefined {
  if (retry && name !== 'envoy-gateway') throw new LabError('LAB_BAD_OPTION', `an HTTPRoute retry needs the envoy-gateway L7 profile, not ${name ?? DEFAULT_L7}`);
  if (name === undefined || name === 'ingress-nginx') return undefined;
  if (name === 'envoy-gateway') return new EnvoyGatewayProfile(retry);
  if (name === 'envoy-gateway-retry') {
    const r = loadRouteRetry(retryFile);
    if (!r) throw new LabError('LAB_MISSING_MANIFEST', `${retryFile} has no HTTPRoute rule with a retry; run \`make render\``);
    return new EnvoyGatewayProfile(r, name);
  }
  throw new LabError('LAB_BAD_OPTION', `L7 profile "${name}" is unknown; valid: ${L7_PROFILES.join(', ')}`);
}
