// @ts-check
// The lab scenario (loadtest/scenario.json) for k6, run in-cluster as a Job by the kind target.
// Open model: constant-arrival-rate per routing path, so a slow or failing pod never slows the
// arrivals (k6 counts the iterations it could not start as dropped_iterations instead).
//
// Phases are a fixed schedule on the k6 clock, announced by setup(): the orchestrator reads
// LAB_K6_T0 from this pod's log and starts the first rollout when the deploy phase begins.
//   warmup | baseline | deploy (LAB_DEPLOY_SECONDS) | cooldown
// Every request adds 1 to lab_requests{class,phase,path}; the per-combination thresholds below
// exist only to make k6 put each sub-metric into the summary (k6 reports sub-metrics only for
// thresholds), so the converter can prove that the classes add up to the requests.

import http from 'k6/http';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { CLASSES, classifyK6 } from './classify.js';

/** @typedef {{name: string, method: string, path: string, weight: number, body?: string, contentType?: string}} MixEntry */
/** @typedef {{rate: number, mix: MixEntry[], accounts: number, keepAlive: boolean, timeoutSeconds: number,
 *   phases: {warmupSeconds: number, baselineSeconds: number, deploys: number, pauseBetweenDeploysSeconds: number, cooldownSeconds: number}}} Scenario */

/** @type {Scenario} */
const scenario = JSON.parse(open(__ENV.LAB_SCENARIO || './scenario.json'));

/**
 * @param {string} name
 * @param {number} def
 */
function num(name, def) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`LAB_BAD_ENV: ${name}="${raw}" is not a non-negative number`);
  return n;
}

const RUN_ID = __ENV.LAB_RUN_ID || 'k6-local';
const RATE = num('LAB_RATE', scenario.rate);
const KEEP_ALIVE = (__ENV.LAB_KEEPALIVE || String(scenario.keepAlive)) !== 'false';
const PATHS = (__ENV.LAB_PATHS || 'l4,ingress').split(',').map((s) => s.trim()).filter(Boolean);
/** @type {Record<string, string>} */
const BASE_URL = {
  l4: __ENV.LAB_L4_URL || 'http://service.deploy-loss-lab.svc.cluster.local',
  ingress: __ENV.LAB_INGRESS_URL || 'http://ingress-nginx-controller.ingress-nginx.svc.cluster.local',
};
const INGRESS_HOST = __ENV.LAB_INGRESS_HOST || '';
const TIMEOUT_S = scenario.timeoutSeconds;

const W = num('LAB_WARMUP_SECONDS', scenario.phases.warmupSeconds);
const B = num('LAB_BASELINE_SECONDS', scenario.phases.baselineSeconds);
const D = num('LAB_DEPLOY_SECONDS', scenario.phases.deploys * (60 + scenario.phases.pauseBetweenDeploysSeconds));
const C = num('LAB_COOLDOWN_SECONDS', scenario.phases.cooldownSeconds);
const TOTAL_S = Math.ceil(W + B + D + C);
export const PHASES = ['warmup', 'baseline', 'deploy', 'cooldown'];

for (const p of PATHS) if (!BASE_URL[p]) throw new Error(`LAB_BAD_ENV: LAB_PATHS contains "${p}"; valid paths are l4, ingress`);

const perPath = Math.max(1, Math.round(RATE / PATHS.length));
// The Job passes VUs sized from the plan (lab/targets/kind/k6-sizing.ts: rate × expected latency
// with headroom, capped by the memory the Job asks for). Without them (k6 run by hand): every
// request of one timeout period in flight at once at most, one VU per request/s up front.
const maxVUs = Math.max(1, num('LAB_MAX_VUS', Math.ceil(perPath * TIMEOUT_S)));
const preAllocatedVUs = Math.max(1, Math.min(maxVUs, num('LAB_PREALLOCATED_VUS', Math.max(10, perPath))));

/** @type {Record<string, string[]>} */
const thresholds = {
  // The one real gate: any failed request while pods roll. Crossing it makes k6 exit 99, which
  // the orchestrator records as a note; the numbers come from the summary either way.
  'errors{phase:deploy}': ['count<1'],
};
for (const phase of PHASES) {
  thresholds[`lab_latency{phase:${phase}}`] = ['p(99)>=0'];
  for (const path of PATHS) {
    for (const cls of CLASSES) thresholds[`lab_requests{class:${cls},phase:${phase},path:${path}}`] = ['count>=0'];
  }
}

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: Object.fromEntries(
    PATHS.map((path) => [
      path,
      {
        executor: 'constant-arrival-rate',
        rate: perPath,
        timeUnit: '1s',
        duration: `${TOTAL_S}s`,
        preAllocatedVUs,
        maxVUs,
        exec: 'hit',
        env: { LAB_PATH: path },
        gracefulStop: `${Math.ceil(TIMEOUT_S) + 1}s`,
      },
    ]),
  ),
  noConnectionReuse: !KEEP_ALIVE,
  discardResponseBodies: true,
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(99)', 'count'],
  thresholds,
};

const requests = new Counter('lab_requests');
const errors = new Counter('errors');
const accepted = new Counter('lab_jobs_accepted');
const latency = new Trend('lab_latency', true);

const totalWeight = scenario.mix.reduce((s, m) => s + m.weight, 0);
const IDEMPOTENT_METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE'];

/** @returns {MixEntry} */
function pickRoute() {
  let x = Math.random() * totalWeight;
  for (const m of scenario.mix) {
    if (x < m.weight) return m;
    x -= m.weight;
  }
  return scenario.mix[scenario.mix.length - 1];
}

/** @param {number} elapsedS */
function phaseAt(elapsedS) {
  if (elapsedS < W) return 'warmup';
  if (elapsedS < W + B) return 'baseline';
  if (elapsedS < W + B + D) return 'deploy';
  return 'cooldown';
}

export function setup() {
  const t0 = Date.now();
  console.log(`LAB_K6_T0 ${t0} ${JSON.stringify({ runId: RUN_ID, rate: RATE, perPath, paths: PATHS, keepAlive: KEEP_ALIVE, W, B, D, C })}`);
  return { t0 };
}

/** @param {{t0: number}} data */
export function hit(data) {
  const path = __ENV.LAB_PATH || 'l4';
  const route = pickRoute();
  // The phase of the scheduled start, as the local generator does (no coordinated omission).
  const start = Date.now();
  const phase = phaseAt((start - data.t0) / 1000);
  /** @type {Record<string, string>} */
  const headers = {};
  if (path === 'ingress' && INGRESS_HOST) headers.Host = INGRESS_HOST;
  /** @type {string | null} */
  let body = null;
  let key = '';
  let account = '';
  let amount = 0;
  if (route.body !== undefined) {
    // a user's route (`check`): its own fixed body, never the lab's job payload
    if (route.body) headers['Content-Type'] = route.contentType || 'application/json';
    body = route.body || null;
  } else if (route.method === 'POST') {
    key = `${RUN_ID}-${exec.vu.idInTest}-${exec.vu.iterationInInstance}`;
    account = `acct-${Math.floor(Math.random() * scenario.accounts)}`;
    amount = 1 + Math.floor(Math.random() * 9);
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify({ account, amount, idempotencyKey: key });
  }
  const res = http.request(route.method, `${BASE_URL[path]}${route.path}`, body, {
    headers,
    timeout: `${TIMEOUT_S}s`,
    tags: { route: route.name, phase, path },
    responseCallback: http.expectedStatuses({ min: 200, max: 299 }),
  });
  const end = Date.now();
  const cls = classifyK6(res.error_code, res.status);
  const tags = { class: cls, phase, path };
  requests.add(1, tags);
  // Same rule as the local generator (loadtest/records.ts countsForLatency): /slow's latency is its parameter.
  if (route.name !== 'slow') latency.add(end - start, { phase, path });
  if (cls !== 'ok') errors.add(1, { phase, path, class: cls });
  // The request record the converter builds the row from (lab/targets/kind/requests.ts), so the
  // deploy window is the measured rollout window, not this script's fixed deploy phase. One JSON
  // array per line: a route name holds spaces (`GET /orders`) and any character of a URL path.
  // The lab compares the number of these lines with the lab_requests count of the summary.
  // Then what k6 can know of the connection: reused when the request spent no time connecting and no
  // time in a TLS handshake (Response.timings.connecting / tls_handshaking, k6's http_req_connecting
  // and http_req_tls_handshaking: https://grafana.com/docs/k6/latest/using-k6/metrics/reference/;
  // exactly 0 because grafana/k6 lib/netext/httpext/tracer.go `(*Tracer).GotConn` sets a reused
  // connection's connect and handshake start and end to one instant); idempotent by Go's rule
  // (loadtest/client-semantics.ts isReplayable); the pod that answered (the service's x-pod header,
  // canonicalized by Go as X-Pod). A request Go's Transport resent still reads reused: the tracer's
  // later hooks only fill timestamps still unset (CompareAndSwap), so the first attempt's connection
  // is the one described — as in the local generator's records.
  const reused = res.timings.connecting === 0 && res.timings.tls_handshaking === 0 ? 1 : 0;
  const idempotent = IDEMPOTENT_METHODS.includes(route.method) || 'Idempotency-Key' in headers ? 1 : 0;
  const pod = (res.headers && res.headers['X-Pod']) || '';
  console.log(`LAB_REQ ${JSON.stringify([start, end - start, route.name, path, res.status, cls, res.error_code, reused, idempotent, pod])}`);
  if (route.method === 'POST' && route.body === undefined && res.status === 202) {
    accepted.add(1);
    // The audit Job reads these lines back from this pod's log: the accepted-jobs ledger.
    console.log(`LAB_JOB ${key} ${account} ${amount}`);
  }
}

/** @param {any} data */
export function handleSummary(data) {
  const json = JSON.stringify(data);
  return {
    stdout: `\nLAB_K6_SUMMARY_BEGIN\n${json}\nLAB_K6_SUMMARY_END\n`,
    '/tmp/k6-summary.json': json,
  };
}
