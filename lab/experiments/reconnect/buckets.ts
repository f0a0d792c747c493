import { emptyCounts, type ClassCounts } from '../../../loadtest/classes.js';
import { percentile } from '../../report/stats.js';
import type { ArmRun } from './arm.js';
import { SAMPLE_MS, type PodSample } from './sampler.js';

// The per-100 ms series of one arm, on a clock that starts at its rollout (t = 0 at the restart).

export const BUCKET_MS = SAMPLE_MS;

export interface Bucket {
  /** ms since the rollout started (start of the bucket) */
  t: number;
  /** reconnect dials started (by the client, at once or after its backoff): what the pods are asked for */
  attempts: number;
  /** reconnects completed (TCP, plus the TLS handshake on HTTPS) */
  reconnects: number;
  tlsHandshakes: number;
  closes: number;
  connectFailures: Record<string, number>;
  /** clients with a live connection at the end of the bucket */
  connected: number;
  requests: number;
  counts: ClassCounts;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  listenOverflows: number;
  listenDrops: number;
  /** event-loop delay of the lab's main thread (kubelet probes, forwarders) and of the client thread */
  labElMaxMs: number;
  clientElMaxMs: number;
  pods: Record<string, PodSample & { cold: boolean }>;
}

/** Buckets from `fromMs` to `toMs` (relative to the rollout start). Requests go by scheduled time. */
export function buckets(run: ArmRun, fromMs: number, toMs: number): Bucket[] {
  const t0 = run.rollout.start;
  const n = Math.max(1, Math.ceil((toMs - fromMs) / BUCKET_MS));
  const out: Bucket[] = Array.from({ length: n }, (_, i) => ({
    t: fromMs + i * BUCKET_MS, attempts: 0, reconnects: 0, tlsHandshakes: 0, closes: 0, connectFailures: {}, connected: 0,
    requests: 0, counts: emptyCounts(), p50Ms: 0, p99Ms: 0, maxMs: 0, listenOverflows: 0, listenDrops: 0, labElMaxMs: 0, clientElMaxMs: 0, pods: {},
  }));
  const at = (t: number) => Math.floor((t - t0 - fromMs) / BUCKET_MS);
  // connected: replay every connection event from the start, so the count is exact in each bucket
  let live = 0;
  const conns = [...run.conns].sort((a, b) => a.t - b.t);
  let k = 0;
  for (const [i, b] of out.entries()) {
    const end = t0 + fromMs + (i + 1) * BUCKET_MS;
    for (; k < conns.length && conns[k]!.t < end; k++) {
      const e = conns[k]!;
      if (e.kind === 'connect') live++;
      else if (e.kind === 'close') live--;
      const a = at(e.dialT);
      if (e.kind !== 'close' && e.reconnect && a >= 0 && a < n) out[a]!.attempts++;
      const j = at(e.t);
      if (j < 0 || j >= n) continue;
      const bj = out[j]!;
      if (e.kind === 'connect') {
        if (e.reconnect) bj.reconnects++;
        if (e.tlsMs !== undefined) bj.tlsHandshakes++;
      } else if (e.kind === 'close') bj.closes++;
      else bj.connectFailures[e.code ?? '?'] = (bj.connectFailures[e.code ?? '?'] ?? 0) + 1;
    }
    b.connected = live;
  }
  const lat: number[][] = Array.from({ length: n }, () => []);
  for (const r of run.reqs) {
    const j = at(r.t_sched);
    if (j < 0 || j >= n) continue;
    out[j]!.requests++;
    out[j]!.counts[r.class]++;
    if (r.class === 'ok') lat[j]!.push(r.ms);
  }
  out.forEach((b, j) => { b.p50Ms = Math.round(percentile(lat[j]!, 50)); b.p99Ms = Math.round(percentile(lat[j]!, 99)); b.maxMs = lat[j]!.length ? Math.max(...lat[j]!) : 0; });
  let prev: { o: number; d: number } | undefined;
  for (const s of run.samples) {
    const j = at(s.t);
    if (prev && j >= 0 && j < n) {
      out[j]!.listenOverflows += s.listenOverflows - prev.o;
      out[j]!.listenDrops += s.listenDrops - prev.d;
      out[j]!.labElMaxMs = Math.max(out[j]!.labElMaxMs, s.labElMaxMs);
      for (const [pod, ps] of Object.entries(s.pods)) out[j]!.pods[pod] = { ...ps, cold: (run.podsCreatedAt[pod] ?? 0) > t0 };
    }
    prev = { o: s.listenOverflows, d: s.listenDrops };
  }
  for (const d of run.clientDelays) {
    const j = at(d.t);
    if (j >= 0 && j < n) out[j]!.clientElMaxMs = Math.max(out[j]!.clientElMaxMs, d.maxMs);
  }
  return out;
}
