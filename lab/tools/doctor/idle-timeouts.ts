// How long each hop keeps an idle keep-alive connection open, with its public source. A proxy that
// keeps an idle upstream connection longer than the app behind it will, sooner or later, write a
// request onto a socket the app is closing: 502 (nginx, AWS ALB) or 503 (Envoy). The app's idle
// timeout must therefore be LONGER than the idle timeout of every proxy in front of it (AWS:
// "configure the idle timeout of your application to be larger than the idle timeout configured for
// the load balancer"). doctor's keepalive rule and check's keep-alive probe compare against these.
// Defaults, not measurements: a ConfigMap/annotation/policy in the user's manifests wins.

import type { SourcedSeconds } from './lb-profiles.js';

/** An idle timeout in seconds (the proxy's upstream connections, a client pool's or the app's), with its sources. */
export type IdleTimeout = SourcedSeconds;

/** Proxies in front of the app: how long they keep an idle upstream connection for reuse. */
export const PROXY_IDLE_TIMEOUTS: readonly IdleTimeout[] = [
  {
    id: 'ingress-nginx',
    seconds: 60,
    basis: 'controller ConfigMap key upstream-keepalive-timeout (nginx keepalive_timeout in the upstream block), default 60; nginx ignores the upstream\'s Keep-Alive: timeout= hint',
    sources: ['https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/#upstream-keepalive-timeout', 'https://gitlab.com/gitlab-org/charts/gitlab/-/merge_requests/3090'],
  },
  {
    id: 'envoy-gateway',
    seconds: 3600,
    basis: 'Envoy\'s upstream HttpProtocolOptions common_http_protocol_options.idle_timeout, default 1 h; Envoy Gateway sets it only from a BackendTrafficPolicy (spec.timeout.http.connectionIdleTimeout)',
    sources: ['https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts', 'https://gitlab.com/gitlab-org/charts/gitlab/-/merge_requests/5478'],
  },
  {
    id: 'aws-alb',
    seconds: 60,
    basis: 'ALB attribute idle_timeout.timeout_seconds (AWS Load Balancer Controller annotation alb.ingress.kubernetes.io/load-balancer-attributes), default 60; AWS tells you to make the app\'s idle timeout larger, else the ALB answers 502',
    sources: ['https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout'],
  },
  {
    id: 'gke-gfe',
    seconds: 600,
    basis: 'Google Front End backend keepalive timeout, fixed at 600 s; Google tells you to set the backend\'s keepalive above it',
    sources: ['https://cloud.google.com/load-balancing/docs/https/request-distribution', 'https://cloud.google.com/load-balancing/docs/https#timeouts_and_retries'],
  },
];

/** Client-side pools that also reuse idle connections (the L4 path: a client straight at the Service). */
export const CLIENT_IDLE_TIMEOUTS: readonly IdleTimeout[] = [
  {
    id: 'go-net-http',
    seconds: 90,
    basis: 'Go net/http DefaultTransport IdleConnTimeout: 90 * time.Second (k6 and most Go clients)',
    sources: ['https://go.dev/src/net/http/transport.go'],
  },
];

/** App-side (server) defaults: how long the app keeps an idle connection before it closes it. */
export const APP_IDLE_TIMEOUTS: readonly IdleTimeout[] = [
  {
    id: 'node-http-before-26',
    seconds: 5,
    basis: 'Node.js http.Server keepAliveTimeout default 5000 ms from v8.0.0 until v26 (Express, Koa, Nest on the bare http server inherit it); headersTimeout default 60000',
    sources: ['https://nodejs.org/docs/latest-v22.x/api/http.html#serverkeepalivetimeout', 'https://github.com/nodejs/node/issues/59193'],
  },
  {
    id: 'node-http-26',
    seconds: 65,
    basis: 'Node.js v26 raised the http.Server keepAliveTimeout default to 65000 ms (semver-major PR 62782, landed for v26; docs fixed in PR 63974)',
    sources: ['https://github.com/nodejs/node/pull/62782', 'https://github.com/nodejs/node/pull/63974'],
  },
  {
    id: 'fastify',
    seconds: 72,
    basis: 'Fastify sets server.keepAliveTimeout to its keepAliveTimeout option, default 72000 ms (lib/config-validator.js defaultInitOptions)',
    sources: ['https://fastify.dev/docs/latest/Reference/Server/#keepalivetimeout'],
  },
];

export const proxyIdleTimeout = (id: string): IdleTimeout | undefined => PROXY_IDLE_TIMEOUTS.find((p) => p.id === id);

/** The app's idle timeout is safe behind a proxy only when strictly longer than the proxy's. */
export const keepAliveOutlivesProxy = (appMs: number, proxyMs: number): boolean => appMs > proxyMs;
