import { emptyCounts, type ClassCounts } from '../../../loadtest/classes.js';
import { percentile } from '../../report/stats.js';
import type { ArmRun, Interval } from './arm.js';
import type { ConnEvent } from './client.js';
import { BUCKET_MS, buckets } from './buckets.js';

// The table row of one arm. A drain episode = the connections one draining pod closed during the
// rollout: from its first close to the moment the last of those clients was connected again.

export interface Episode { pod: string; closes: number; startMs: number; reestablishMs: number; notReconnected: number }
export interface ReceivingPod { pod: string; cold: boolean; reconnectsReceived: number; peakEventLoopMs: number; peakCpuPct: number }

export interface ArmStats {
  arm: string;
  closeJitterMs: number;
  clients: number;
  establishPerS: number;
  /** closes of connections to pods the rollout terminated */
  serverCloses: number;
  /** closes on pods that stayed: requests the client aborted at its timeout took their connection along */
  otherCloses: number;
  reconnects: number;
  peakAttemptsPerS: number;
  peakReconnectsPerS: number;
  peakTlsHandshakesPerS: number;
  /** longest drain episode: first close → every one of its clients connected again */
  timeToReestablishAllMs: number;
  episodes: Episode[];
  p50SteadyMs: number;
  p99SteadyMs: number;
  p99ReconnectMs: number;
  maxReconnectMs: number;
  /** p99 during the reconnect / p99 steady */
  p99Ratio: number;
  requestsDuringReconnect: number;
  rolloutErrors: ClassCounts;
  rolloutErrorCount: number;
  connectFailures: Record<string, number>;
  steadyEventLoopMaxMs: number;
  peakEventLoopMs: number;
  peakCpuPct: number;
  listenOverflows: number;
  listenDrops: number;
  steadyClientElMaxMs: number;
  peakClientElMaxMs: number;
  /** the lab's main thread (kubelet probes, Service forwarders) during the rollout */
  peakControlPlaneElMaxMs: number;
  receivingPods: ReceivingPod[];
  rolloutMs: number;
}

const inAny = (t: number, ws: readonly Interval[]) => ws.some((w) => t >= w.start && t < w.end);
const round = (x: number) => Math.round(x * 10) / 10;

function episodes(run: ArmRun): Episode[] {
  const connectsOf = new Map<number, number[]>();
  for (const e of run.conns) if (e.kind === 'connect') (connectsOf.get(e.client) ?? connectsOf.set(e.client, []).get(e.client)!).push(e.t);
  // only pods the rollout terminated drain; a close on a live pod is a client's own (undici drops the
  // connection of a request it aborts at the 5 s timeout) and is counted apart
  const draining = new Set(run.events.filter((e) => e.kind === 'pod-terminating' && e.t >= run.rollout.start && e.pod).map((e) => e.pod!));
  const byPod = new Map<string, ConnEvent[]>();
  for (const e of run.conns) if (e.kind === 'close' && e.t >= run.rollout.start && draining.has(e.pod)) (byPod.get(e.pod) ?? byPod.set(e.pod, []).get(e.pod)!).push(e);
  return [...byPod].map(([pod, closes]) => {
    const start = Math.min(...closes.map((c) => c.t));
    let last = start;
    let missing = 0;
    for (const c of closes) {
      const next = connectsOf.get(c.client)?.find((t) => t >= c.t);
      if (next === undefined) missing++;
      else last = Math.max(last, next);
    }
    return { pod, closes: closes.length, startMs: start - run.rollout.start, reestablishMs: last - start, notReconnected: missing };
  }).sort((a, b) => a.startMs - b.startMs);
}

export function armStats(run: ArmRun, clients: number): ArmStats {
  const eps = episodes(run);
  const windows = eps.map((e) => ({ start: run.rollout.start + e.startMs, end: run.rollout.start + e.startMs + e.reestablishMs + 1000 }));
  const lastMs = Math.max(run.rollout.end - run.rollout.start, ...windows.map((w) => w.end - run.rollout.start)) + 2000;
  const series = buckets(run, 0, lastMs);
  const steady = run.reqs.filter((r) => r.t_sched >= run.baseline.start && r.t_sched < run.baseline.end && r.class === 'ok').map((r) => r.ms);
  const during = run.reqs.filter((r) => inAny(r.t_sched, windows));
  const duringOk = during.filter((r) => r.class === 'ok').map((r) => r.ms);
  const rolloutErrors = emptyCounts();
  for (const r of run.reqs) if (r.t_sched >= run.rollout.start && r.t_sched < run.rollout.start + lastMs) rolloutErrors[r.class]++;
  const connectFailures: Record<string, number> = {};
  for (const e of run.conns) if (e.kind === 'fail' && e.t >= run.rollout.start) connectFailures[e.code ?? '?'] = (connectFailures[e.code ?? '?'] ?? 0) + 1;
  // receiving pods: every pod that accepted a reconnect inside a drain episode, the draining one excluded
  const received = new Map<string, number>();
  for (const e of run.conns) if (e.kind === 'connect' && e.reconnect && inAny(e.t, windows)) received.set(e.pod, (received.get(e.pod) ?? 0) + 1);
  const receivingPods: ReceivingPod[] = [...received].map(([pod, n]) => {
    const inWin = series.filter((b) => inAny(run.rollout.start + b.t, windows)).map((b) => b.pods[pod]).filter((p) => p !== undefined);
    return {
      pod, cold: (run.podsCreatedAt[pod] ?? 0) > run.rollout.start, reconnectsReceived: n,
      peakEventLoopMs: Math.max(0, ...inWin.map((p) => p.elMaxMs ?? 0)), peakCpuPct: Math.max(0, ...inWin.map((p) => p.cpuPct ?? 0)),
    };
  }).sort((a, b) => b.reconnectsReceived - a.reconnectsReceived);
  const steadySamples = run.samples.filter((s) => s.t >= run.baseline.start && s.t < run.baseline.end);
  const rolloutSamples = run.samples.filter((s) => s.t >= run.rollout.start && s.t < run.rollout.start + lastMs);
  const first = rolloutSamples[0];
  const lastS = rolloutSamples[rolloutSamples.length - 1];
  const p99Steady = percentile(steady, 99);
  const p99During = percentile(duringOk, 99);
  return {
    arm: run.name, closeJitterMs: run.closeJitterMs, clients, establishPerS: run.establishment.perSecond,
    serverCloses: eps.reduce((a, e) => a + e.closes, 0),
    otherCloses: run.conns.filter((e) => e.kind === 'close' && e.t >= run.rollout.start).length - eps.reduce((a, e) => a + e.closes, 0),
    reconnects: run.conns.filter((e) => e.kind === 'connect' && e.reconnect).length,
    peakAttemptsPerS: Math.max(0, ...series.map((b) => b.attempts)) * (1000 / BUCKET_MS),
    peakReconnectsPerS: Math.max(0, ...series.map((b) => b.reconnects)) * (1000 / BUCKET_MS),
    peakTlsHandshakesPerS: Math.max(0, ...series.map((b) => b.tlsHandshakes)) * (1000 / BUCKET_MS),
    timeToReestablishAllMs: Math.max(0, ...eps.map((e) => e.reestablishMs)),
    episodes: eps,
    p50SteadyMs: round(percentile(steady, 50)), p99SteadyMs: round(p99Steady),
    p99ReconnectMs: round(p99During), maxReconnectMs: duringOk.length ? Math.max(...duringOk) : 0,
    p99Ratio: p99Steady > 0 ? round(p99During / p99Steady) : 0,
    requestsDuringReconnect: during.length,
    rolloutErrors, rolloutErrorCount: Object.entries(rolloutErrors).reduce((a, [k, v]) => a + (k === 'ok' ? 0 : v), 0),
    connectFailures,
    steadyEventLoopMaxMs: Math.max(0, ...steadySamples.flatMap((s) => Object.values(s.pods).map((p) => p.elMaxMs ?? 0))),
    peakEventLoopMs: Math.max(0, ...receivingPods.map((p) => p.peakEventLoopMs)),
    peakCpuPct: Math.max(0, ...receivingPods.map((p) => p.peakCpuPct)),
    listenOverflows: first && lastS ? lastS.listenOverflows - first.listenOverflows : 0,
    listenDrops: first && lastS ? lastS.listenDrops - first.listenDrops : 0,
    steadyClientElMaxMs: Math.max(0, ...run.clientDelays.filter((d) => d.t >= run.baseline.start && d.t < run.baseline.end).map((d) => d.maxMs)),
    peakClientElMaxMs: Math.max(0, ...run.clientDelays.filter((d) => inAny(d.t, windows)).map((d) => d.maxMs)),
    peakControlPlaneElMaxMs: Math.max(0, ...rolloutSamples.map((s) => s.labElMaxMs)),
    receivingPods,
    rolloutMs: run.rollout.end - run.rollout.start,
  };
}
