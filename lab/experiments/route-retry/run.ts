import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { LabError } from '../../../common/errors.js';
import { REPO_ROOT } from '../../engine/meta.js';
import { onTeardown } from '../../engine/teardown.js';
import { LocalCluster } from '../../targets/local/cluster.js';
import type { Attempt } from '../../targets/local/ingress.js';
import type { RouteRetry } from '../../targets/local/route-retry.js';
import type { ClientOutcome } from './classify.js';

// One variant run: an arm on the local target with the envoy-gateway L7 profile (with or without the
// HTTPRoute's retry), an open-model load of the scenario's mix through the L7 path only, a few SSE
// streams held open, and one rollout restart of the service. Every request carries `r=<id>` so the
// proxy's tries (onIngressAttempt) join the client's outcome.

interface MixEntry { name: string; method: 'GET' | 'POST'; path: string; weight: number }
const SCENARIO = join(REPO_ROOT, 'loadtest', 'scenario.json');
/**
 * Load before the rollout, and after it, so both edges of the deploy are covered.
 * LAB_ROUTE_RETRY_SHORT_PHASES=1 cuts the load before it to 1 s for the lab's own test, which asserts
 * what the rollout's tries show, not the steady load; the summary records both (params.loadMs).
 */
export const LOAD_MS = process.env.LAB_ROUTE_RETRY_SHORT_PHASES === '1'
  ? { beforeRollout: 1000, afterRollout: 2000 }
  : { beforeRollout: 3000, afterRollout: 2000 };
/** Upper bound of one variant's load, whatever the rollout does. */
const CAP_MS = 180_000;
/** Client-side bound of one request (the route timeout is 15 s). */
const CLIENT_TIMEOUT_MS = 20_000;
/** An SSE client closes its stream after this long and opens another (well inside Envoy's 15 s route timeout). */
const STREAM_MS = 8000;

export interface VariantRun {
  outcomes: ClientOutcome[];
  tries: Map<string, Attempt[]>;
  rolloutMs: number;
  dropped: number;
}

const idOf = (path: string) => /[?&]r=([^&]+)/.exec(path)?.[1];

function mixAt(mix: readonly MixEntry[], i: number): MixEntry {
  const total = mix.reduce((s, m) => s + m.weight, 0);
  let k = i % total;
  for (const m of mix) { if (k < m.weight) return m; k -= m.weight; }
  return mix[0]!;
}

async function waitAnswering(url: string, timeoutMs: number): Promise<void> {
  const pool = new Pool(url);
  const deadline = Date.now() + timeoutMs;
  let ok = 0;
  try {
    while (Date.now() < deadline) {
      const s = await pool.request({ method: 'GET', path: '/fast', headersTimeout: 2000, bodyTimeout: 2000 }).then(async (r) => { await r.body.dump(); return r.statusCode; }, () => 0);
      ok = s === 200 ? ok + 1 : 0;
      if (ok >= 5) return;
      await sleep(100);
    }
  } finally {
    await pool.close();
  }
  throw new LabError('LAB_TIMEOUT', `${url} did not answer GET /fast 5 times in a row within ${timeoutMs} ms`);
}

function send(pool: Pool, id: string, m: MixEntry, i: number): Promise<ClientOutcome> {
  const path = `${m.path}${m.path.includes('?') ? '&' : '?'}r=${id}`;
  const body = m.method === 'POST' ? JSON.stringify({ account: `acct-${i % 20}`, amount: 1 + (i % 9), idempotencyKey: `rr-${id}` }) : undefined;
  return pool.request({ method: m.method, path, body, headers: body ? { 'content-type': 'application/json' } : {}, headersTimeout: CLIENT_TIMEOUT_MS, bodyTimeout: CLIENT_TIMEOUT_MS })
    .then(async (r) => {
      try { await r.body.arrayBuffer(); return { id, method: m.method, status: r.statusCode }; } catch (e) { return { id, method: m.method, status: r.statusCode, cut: true, error: String((e as NodeJS.ErrnoException).code ?? e) }; }
    }, (e: NodeJS.ErrnoException) => ({ id, method: m.method, status: 0, error: String(e.code ?? e.name) }));
}

/** One SSE client: streams until `stop`, reopening every STREAM_MS; each stream is one outcome. */
async function streamer(pool: Pool, j: number, stop: AbortSignal, out: ClientOutcome[]): Promise<void> {
  for (let n = 0; !stop.aborted && n < 1000; n++) {
    const id = `s${j}-${n}`;
    const mine = new AbortController();
    const end = () => mine.abort();
    stop.addEventListener('abort', end, { once: true });
    const timer = setTimeout(end, STREAM_MS);
    try {
      const r = await pool.request({ method: 'GET', path: `/events?r=${id}`, signal: mine.signal, headersTimeout: CLIENT_TIMEOUT_MS, bodyTimeout: CLIENT_TIMEOUT_MS });
      try {
        // not body.dump(): it resolves on a cut body as on a finished one
        for await (const _ of r.body) { /* events: only the stream's end matters */ }
        out.push({ id, method: 'GET', status: r.statusCode });
      } catch (e) {
        out.push(mine.signal.aborted ? { id, method: 'GET', status: r.statusCode } : { id, method: 'GET', status: r.statusCode, cut: true, error: String((e as NodeJS.ErrnoException).code ?? e) });
      }
    } catch (e) {
      if (!mine.signal.aborted) out.push({ id, method: 'GET', status: 0, error: String((e as NodeJS.ErrnoException).code ?? e) });
      await sleep(100);
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', end);
    }
  }
}

export async function runVariant(o: { manifestFile: string; runDir: string; routeRetry?: RouteRetry; rate: number; streams: number; say: (s: string) => void }): Promise<VariantRun> {
  const mix = (JSON.parse(readFileSync(SCENARIO, 'utf8')) as { mix: MixEntry[] }).mix;
  const tries = new Map<string, Attempt[]>();
  const onIngressAttempt = (a: Attempt) => {
    const id = idOf(a.path);
    if (id) (tries.get(id) ?? tries.set(id, []).get(id)!).push(a);
  };
  const cluster = await LocalCluster.start({ manifestFile: o.manifestFile, runDir: o.runDir, l7: 'envoy-gateway', routeRetry: o.routeRetry, onIngressAttempt });
  const unregister = onTeardown(() => cluster.close());
  const pool = new Pool(cluster.ingressUrl, { connections: 256, keepAliveTimeout: 60_000 });
  const stop = new AbortController();
  try {
    await waitAnswering(cluster.ingressUrl, 30_000);
    const pending: Array<Promise<ClientOutcome>> = [];
    const streamOut: ClientOutcome[] = [];
    const streams = Array.from({ length: o.streams }, (_, j) => streamer(pool, j, stop.signal, streamOut));
    let rolloutMs = 0;
    let rolloutDone = Infinity;
    const t0 = Date.now();
    const rollout = sleep(LOAD_MS.beforeRollout).then(async () => {
      o.say('rollout restart of Deployment/service');
      rolloutMs = (await cluster.rolloutRestart(['service'])).durationMs;
      rolloutDone = Date.now();
    });
    rollout.catch(() => { rolloutDone = 0; });
    let dropped = 0;
    // open model: send i is due at t0 + i/rate whatever the answers do; a send more than 250 ms late is dropped
    for (let i = 0; Date.now() < rolloutDone + LOAD_MS.afterRollout && Date.now() - t0 < CAP_MS; i++) {
      const due = t0 + (i * 1000) / o.rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (Date.now() - due > 250) { dropped++; continue; }
      pending.push(send(pool, `q${i}`, mixAt(mix, i), i));
    }
    await rollout;
    stop.abort();
    const outcomes = await Promise.all(pending);
    await Promise.all(streams);
    return { outcomes: [...outcomes, ...streamOut], tries, rolloutMs, dropped };
  } finally {
    stop.abort();
    await pool.destroy().catch(() => undefined);
    await cluster.close();
    unregister();
  }
}
