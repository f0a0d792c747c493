import { containerName, type RuleContext } from '../context.js';
import type { FieldPath, K8sObject } from '../documents.js';
import { PROXY_IDLE_TIMEOUTS, proxyIdleTimeout } from '../idle-timeouts.js';
import type { Container } from '../model.js';
import { routingOf } from '../routing.js';
import { envValue } from '../profile.js';

// Keep-alive timeouts out of order: a proxy that keeps an idle upstream connection open longer than
// the app does writes, sooner or later, a request onto a socket the app is closing, and answers 502
// (nginx "upstream prematurely closed connection"; AWS ALB with no target status). The app's idle
// timeout must be longer than the proxy's (AWS's advice; numbers and sources in idle-timeouts.ts).
// Between deploys this looks like random 502s; during one it adds to the rollout's own.

/** One idle timeout read from the input, with where it was read. */
interface Timeout { seconds: number; from: string; obj?: K8sObject; path?: FieldPath }

/** App keep-alive timeouts by env name and unit (ms or s). KEEPALIVE_TIMEOUT_MS is this lab's own. */
const APP_ENV: ReadonlyArray<[string, number]> = [
  ['KEEPALIVE_TIMEOUT_MS', 1 / 1000], ['KEEP_ALIVE_TIMEOUT_MS', 1 / 1000], ['HTTP_KEEP_ALIVE_TIMEOUT_MS', 1 / 1000], ['SERVER_KEEP_ALIVE_TIMEOUT_MS', 1 / 1000],
  ['KEEPALIVE_TIMEOUT', 1], ['KEEP_ALIVE_TIMEOUT', 1], ['KEEPALIVE_TIMEOUT_SECONDS', 1], ['KEEP_ALIVE_TIMEOUT_SECONDS', 1],
];
const HEADERS_ENV: ReadonlyArray<[string, number]> = [['HEADERS_TIMEOUT_MS', 1 / 1000]];
/** Command-line flags in seconds: generic, uvicorn (--timeout-keep-alive, default 5) and gunicorn (--keep-alive, default 2). */
const APP_FLAGS = ['--keep-alive-timeout', '--keepalive-timeout', '--timeout-keep-alive', '--keep-alive'];

const NUM = /^\d+(\.\d+)?$/;

function fromEnv(c: Container, names: ReadonlyArray<[string, number]>): Timeout | undefined {
  for (const [name, toS] of names) {
    const v = envValue(c, name)?.trim();
    if (v !== undefined && NUM.test(v)) return { seconds: Number(v) * toS, from: `env ${name}=${v}` };
  }
  return undefined;
}

function fromArgs(c: Container): Timeout | undefined {
  const argv = [...(Array.isArray(c.spec.command) ? c.spec.command : []), ...(Array.isArray(c.spec.args) ? c.spec.args : [])].map(String);
  for (let i = 0; i < argv.length; i++) {
    for (const flag of APP_FLAGS) {
      const a = argv[i]!;
      const v = a === flag ? argv[i + 1] : a.startsWith(`${flag}=`) ? a.slice(flag.length + 1) : undefined;
      if (v !== undefined && NUM.test(v)) return { seconds: Number(v), from: `${flag} ${v}` };
    }
  }
  return undefined;
}

/** A Gateway API / Envoy Gateway duration: `1h`, `15s`, `500ms`, `1m30s`. */
export function durationSeconds(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(v.trim()) : null;
  if (!m || v === '') return undefined;
  const [, h, min, s, ms] = m.map((x) => Number(x ?? 0));
  return h! * 3600 + min! * 60 + s! + ms! / 1000;
}

const ALB_IDLE = /(?:^|,)\s*idle_timeout\.timeout_seconds\s*=\s*(\d+)/;

/** Idle timeouts of the proxies the input shows in front of the app: set explicitly, or implied by an Ingress class. */
function proxies(ctx: RuleContext): Timeout[] {
  const out: Timeout[] = [];
  let nginxIngress: K8sObject | undefined;
  let nginxSet = false;
  for (const o of ctx.model.objects) {
    const data = o.obj.data;
    if (o.kind === 'ConfigMap' && data && typeof data === 'object' && 'upstream-keepalive-timeout' in data) {
      const v = String(data['upstream-keepalive-timeout']).replace(/s$/, '');
      if (NUM.test(v)) { out.push({ seconds: Number(v), from: `ConfigMap/${o.name} upstream-keepalive-timeout (ingress-nginx)`, obj: o, path: ['data', 'upstream-keepalive-timeout'] }); nginxSet = true; }
    }
    if (o.kind === 'BackendTrafficPolicy') {
      const s = durationSeconds(o.obj.spec?.timeout?.http?.connectionIdleTimeout);
      out.push(s !== undefined
        ? { seconds: s, from: `BackendTrafficPolicy/${o.name} timeout.http.connectionIdleTimeout (Envoy Gateway)`, obj: o, path: ['spec', 'timeout', 'http', 'connectionIdleTimeout'] }
        : { seconds: proxyIdleTimeout('envoy-gateway')!.seconds, from: `BackendTrafficPolicy/${o.name} without timeout.http.connectionIdleTimeout: Envoy's default 1 h`, obj: o, path: ['spec'] });
    }
    if (o.kind === 'Ingress') {
      const ann = o.obj.metadata?.annotations ?? {};
      const cls = o.obj.spec?.ingressClassName ?? ann['kubernetes.io/ingress.class'];
      const attrs = ann['alb.ingress.kubernetes.io/load-balancer-attributes'];
      const m = typeof attrs === 'string' ? ALB_IDLE.exec(attrs) : null;
      if (m) out.push({ seconds: Number(m[1]), from: `Ingress/${o.name} alb.ingress.kubernetes.io/load-balancer-attributes idle_timeout.timeout_seconds`, obj: o, path: ['metadata', 'annotations', 'alb.ingress.kubernetes.io/load-balancer-attributes'] });
      else if (cls === 'alb') out.push({ seconds: proxyIdleTimeout('aws-alb')!.seconds, from: `Ingress/${o.name} (class alb): AWS ALB's default idle timeout`, obj: o, path: ['metadata'] });
      if (cls === 'nginx') nginxIngress ??= o;
    }
  }
  if (nginxIngress && !nginxSet) out.push({ seconds: proxyIdleTimeout('ingress-nginx')!.seconds, from: `Ingress/${nginxIngress.name} (class nginx): ingress-nginx's default upstream-keepalive-timeout`, obj: nginxIngress, path: ['spec'] });
  return out;
}

const s = (n: number) => `${Number.isInteger(n) ? n : n.toFixed(1)} s`;
const VERIFY = 'verify on a running pod: `curl -sv http://<pod-ip>:<port>/ -o /dev/null 2>&1 | grep -i \'< keep-alive\'` shows the `Keep-Alive: timeout=N` a Node server announces (no header: the server does not say; `deploy-loss-lab check` measures when it really closes an idle connection)';

function check(ctx: RuleContext, c: Container, front: Timeout[]): void {
  const app = fromEnv(c, APP_ENV) ?? fromArgs(c);
  const name = containerName(c);
  const where = c.spec.env ? [...c.path, 'env'] : c.path;
  if (!app) {
    const known = front.length ? front.map((p) => `${p.from}: ${s(p.seconds)}`).join('; ') : PROXY_IDLE_TIMEOUTS.map((p) => `${p.id} ${s(p.seconds)}`).join(', ');
    ctx.report('keepalive-unknown', c.workload, c.path,
      `${name} is served, and the manifest does not say how long it keeps an idle keep-alive connection; a proxy that keeps it idle longer (${known}) races the app's close and answers 502 between deploys. Node before v26 closes after 5 s.`,
      `Set the app's keep-alive timeout above the proxy's (Node: server.keepAliveTimeout, with headersTimeout above it), and ${VERIFY}.`);
    return;
  }
  const headers = fromEnv(c, HEADERS_ENV);
  if (headers && headers.seconds <= app.seconds) {
    ctx.report('keepalive-headers-order', c.workload, where,
      `${name}: headers timeout ${s(headers.seconds)} (${headers.from}) is not above the keep-alive timeout ${s(app.seconds)} (${app.from}): Node's long-standing advice (and the lab's service, which refuses it) keeps headersTimeout above keepAliveTimeout.`,
      `Set the headers timeout above ${s(app.seconds)}, e.g. ${s(app.seconds + 1)}.`);
  }
  const against = front.length ? front : [{ seconds: 60, from: 'ingress-nginx\'s and AWS ALB\'s default upstream idle timeout (nothing in the input says which proxy is in front)' }];
  for (const p of against) {
    if (app.seconds > p.seconds) continue;
    ctx.report('keepalive-shorter-than-proxy', c.workload, where,
      `${name} closes an idle keep-alive connection after ${s(app.seconds)} (${app.from}), while ${p.from} keeps it for reuse ${s(p.seconds)}: the proxy will write requests onto connections the app is closing and answer 502 (a POST is never retried), between deploys as well as during them.`,
      `Raise the app's keep-alive timeout above ${s(p.seconds)} (e.g. ${s(p.seconds + 5)}, headers timeout 1 s above it), or lower the proxy's idle timeout below ${s(app.seconds)}.`,
      front.length ? undefined : 'warning');
  }
}

export function keepaliveRules(ctx: RuleContext): void {
  const front = proxies(ctx);
  for (const c of ctx.containers()) if (routingOf(ctx.model, c) === 'traffic') check(ctx, c, front);
}
