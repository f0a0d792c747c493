import { LabError } from '../../../common/errors.js';
import type { RequestRecord } from '../../../loadtest/records.js';
import type { DeregistrationReport } from '../../engine/deregistration.js';
import { percentile } from '../../report/stats.js';
import { DRAIN_FACTOR, drainWindowFor, graceFor, MARGIN_FRACTION, MARGIN_MIN_S, marginFor, PRESTOP_FACTOR, preStopFor } from '../../tools/doctor/sizing.js';
import type { ArmTiming, ServiceTiming } from './variant.js';

// From one measuring run to the numbers: preStop = 3 × p99 deregistration delay, the drain window
// = 3 × the longest request class's p99, the grace period = both plus a stated margin. The rule
// itself lives in doctor's sizing module, so what tune writes is what doctor accepts.

export { DRAIN_FACTOR, MARGIN_FRACTION, PRESTOP_FACTOR } from '../../tools/doctor/sizing.js';
export const MARGIN_MIN_SECONDS = MARGIN_MIN_S;

export interface RouteP99 { route: string; count: number; p99Ms: number }

export interface Recommendation extends ServiceTiming {
  deregistrationDelayP99Ms: number;
  drainDeadlineSeconds: number;
  marginSeconds: number;
  drainDelayMs: number;
  longest: RouteP99;
  routes: RouteP99[];
  reasoning: string[];
}

/** Server-side duration (first byte sent → response end) p99 per route, over the requests answered 2xx/4xx. */
export function routeP99s(records: readonly RequestRecord[]): RouteP99[] {
  const by = new Map<string, number[]>();
  for (const r of records) {
    if (r.status < 200 || r.status >= 500) continue;
    const list = by.get(r.route) ?? [];
    list.push(r.t_end - r.t_start);
    by.set(r.route, list);
  }
  return [...by].map(([route, xs]) => ({ route, count: xs.length, p99Ms: Math.round(percentile(xs, 99)) })).sort((a, b) => b.p99Ms - a.p99Ms);
}

/** Throws LAB_NOT_MEASURABLE when nothing reached a terminating pod: never a made-up number. */
export function recommend(d: DeregistrationReport | undefined, records: readonly RequestRecord[], arm: ArmTiming): Recommendation {
  if (!d?.measurable || !d.routed) throw new LabError('LAB_NOT_MEASURABLE', d?.reason ?? 'the run carries no deregistration measurement');
  const routes = routeP99s(records);
  const longest = routes[0];
  if (!longest) throw new LabError('LAB_NOT_MEASURABLE', 'no request was answered during the measuring run: no request durations to size the drain window from');
  const p99 = d.routed.p99Ms;
  const preStopSeconds = preStopFor(p99 / 1000);
  const drainDeadlineSeconds = drainWindowFor(longest.p99Ms / 1000);
  // the guardian counts from SIGTERM and the readiness lever serves DRAIN_DELAY_MS first
  const shutdownDeadlineMs = arm.drainDelayMs + drainDeadlineSeconds * 1000;
  const marginSeconds = marginFor(preStopSeconds, shutdownDeadlineMs / 1000);
  const terminationGracePeriodSeconds = graceFor(preStopSeconds, shutdownDeadlineMs / 1000);
  const reasoning = [
    `deregistration delay (last routed request − left the endpoints) over ${d.routed.count} terminating pods: p50 ${d.routed.p50Ms} ms, p99 ${p99} ms, max ${d.routed.maxMs} ms`,
    `preStop = ceil(${PRESTOP_FACTOR} × ${p99} ms) = ${preStopSeconds} s (preStop.sleep.seconds is whole seconds)`,
    `longest request class: ${longest.route} p99 ${longest.p99Ms} ms (${longest.count} requests); drain window = ceil(${DRAIN_FACTOR} × ${longest.p99Ms} ms) = ${drainDeadlineSeconds} s`,
    `SHUTDOWN_DEADLINE_MS = DRAIN_DELAY_MS ${arm.drainDelayMs} + ${drainDeadlineSeconds * 1000} = ${shutdownDeadlineMs} (the guardian counts from SIGTERM, after the in-process drain delay)`,
    `terminationGracePeriodSeconds = ceil(preStop ${preStopSeconds} s + shutdown deadline ${shutdownDeadlineMs / 1000} s + margin ${marginSeconds} s) = ${terminationGracePeriodSeconds} s `
      + `(margin: ${MARGIN_FRACTION * 100} % of the sum, at least ${MARGIN_MIN_S} s; the grace period counts from the deletion, preStop included)`,
  ];
  return {
    deregistrationDelayP99Ms: p99, preStopSeconds, drainDeadlineSeconds, terminationGracePeriodSeconds, shutdownDeadlineMs,
    marginSeconds, drainDelayMs: arm.drainDelayMs, longest, routes, reasoning,
  };
}
