import { LabError } from '../../../common/errors.js';
import type { MixEntry } from '../../../loadtest/scenario.js';

// How many VUs the k6 Job preallocates and may start, and how much memory it asks for, from the
// plan: an open-model (constant-arrival-rate) scenario needs about rate × latency VUs busy at once
// (Little's law); more only while the target is slow, and k6 counts the arrivals it cannot start as
// dropped iterations (which the verdict treats as data it did not see), instead of the pod being
// OOM-killed. A plan whose steady state cannot fit is refused before anything starts.

/**
 * Memory per VU: the k6 docs, "Running large tests", Memory
 * (https://grafana.com/docs/k6/latest/testing-guides/running-large-tests/): "Simple tests will use
 * ~1-5MB per VU (1000VUs = 1-5GB)". The upper end: the script keeps a threshold per class × phase ×
 * path and prints a line per request.
 */
export const K6_MIB_PER_VU = 5;
/** The k6 process without VUs (Go runtime, the script's metrics registry): an allowance, not a documented figure. */
export const K6_BASE_MIB = 256;
/**
 * k6 keeps every sample of a Trend until the end for its percentiles: ~8 trends (http_req_* and
 * lab_latency) × 8 bytes, ×4 for the sub-metrics each sample also lands in.
 */
export const K6_BYTES_PER_REQUEST = 256;
/** The most memory a k6 Job may ask for: a kind cluster on a laptop has about 6 GB free in all (docs/kind.md). */
export const K6_MEMORY_CEILING_MIB = 2048;
/** VUs over rate × expected latency: a rollout slows some requests, and arrivals come in bursts. */
export const VU_HEADROOM = 2;
/** Per request on top of a route's own wait: network, the app's work. */
export const BASE_LATENCY_S = 0.1;

export interface K6Sizing {
  /** arrivals per second of each path's scenario (as loadtest/k6/script.js computes it) */
  perPath: number;
  /** per path scenario */
  preAllocatedVUs: number;
  maxVUs: number;
  memoryRequestMiB: number;
  memoryLimitMiB: number;
  /** one line: how the numbers were derived (goes into the run's notes) */
  basis: string;
}

/** Expected latency of one request of the mix: `baseS` plus any `ms=` wait the route asks for (/slow?ms=N), weighted. */
export function expectedLatencyS(mix: readonly Pick<MixEntry, 'path' | 'weight'>[], baseS = BASE_LATENCY_S): number {
  const total = mix.reduce((s, m) => s + m.weight, 0);
  if (total <= 0) return baseS;
  return mix.reduce((s, m) => {
    const ms = Number(/[?&]ms=(\d+)/.exec(m.path)?.[1] ?? 0);
    return s + (m.weight / total) * (baseS + ms / 1000);
  }, 0);
}

export function sizeK6(o: { rate: number; paths: number; expectedLatencyS: number; timeoutSeconds: number; plannedSeconds: number; ceilingMiB?: number }): K6Sizing {
  const ceiling = o.ceilingMiB ?? K6_MEMORY_CEILING_MIB;
  const perPath = Math.max(1, Math.round(o.rate / o.paths));
  const preAllocatedVUs = Math.max(10, Math.ceil(perPath * o.expectedLatencyS * VU_HEADROOM));
  const fixedMiB = K6_BASE_MIB + Math.ceil((o.rate * o.plannedSeconds * K6_BYTES_PER_REQUEST) / 2 ** 20);
  const memoryRequestMiB = fixedMiB + o.paths * preAllocatedVUs * K6_MIB_PER_VU;
  const how = `${perPath}/s per path × ${o.expectedLatencyS.toFixed(2)} s expected latency × ${VU_HEADROOM} headroom`;
  if (memoryRequestMiB > ceiling) {
    throw new LabError('LAB_K6_TOO_BIG', `--rate ${o.rate} needs ${preAllocatedVUs} preallocated VUs per path (${how}), about ${memoryRequestMiB} MiB of k6 memory at ${K6_MIB_PER_VU} MiB per VU (k6 docs, "Running large tests") — more than the ${ceiling} MiB a k6 Job may have; lower --rate. Nothing was started`);
  }
  // Up to every request of one timeout period in flight, as far as the ceiling allows.
  const fit = Math.floor((ceiling - fixedMiB) / (o.paths * K6_MIB_PER_VU));
  const maxVUs = Math.max(preAllocatedVUs, Math.min(Math.ceil(perPath * o.timeoutSeconds), fit));
  const memoryLimitMiB = fixedMiB + o.paths * maxVUs * K6_MIB_PER_VU;
  return {
    perPath, preAllocatedVUs, maxVUs, memoryRequestMiB, memoryLimitMiB,
    basis: `k6 sized from the plan: ${preAllocatedVUs} preallocated VUs per path (${how}), at most ${maxVUs}; memory request ${memoryRequestMiB} MiB, limit ${memoryLimitMiB} MiB (${K6_MIB_PER_VU} MiB per VU, k6 docs); arrivals k6 cannot start count as dropped iterations`,
  };
}
