import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { rawClassOf, reusedWithoutResponse, type RequestRecord } from '../../../loadtest/records.js';
import { readPodLog } from '../../report/pod-log.js';
import { inWindow, type Interval } from '../../report/stats.js';

// One idle-close run's counts: failures by method as the client saw them and raw (before any resend),
// those with the idle-close race's signature (a reused connection that failed before any response
// byte), and, from the service pods' own `connections-drained` lines, how their sockets ended.

export interface MethodCounts {
  method: string;
  requests: number;
  /** failures before the client's own resends (each request by its first attempt) */
  raw: number;
  /** failures as the client reported them */
  seen: number;
  resent: number;
  /** raw failures on a reused connection before any response byte: a request written onto a socket the pod was closing */
  race: number;
}

export interface DrainTotals {
  pods: number;
  /** idle sockets the pods closed */
  idle: number;
  /** sockets closed after a Connection: close response (or by the client) */
  afterResponse: number;
  forced: number;
  /** each terminated pod's signal → exit, ms */
  shutdownMs: number[];
}

export function countMethods(records: readonly RequestRecord[], methodOf: ReadonlyMap<string, string>, window: Interval, scope: 'window' | 'total'): MethodCounts[] {
  const rows = new Map<string, MethodCounts>();
  for (const m of new Set(methodOf.values())) rows.set(m, { method: m, requests: 0, raw: 0, seen: 0, resent: 0, race: 0 });
  for (const r of records) {
    if (scope === 'window' && !inWindow(r, window)) continue;
    const row = rows.get(methodOf.get(r.route) ?? 'GET')!;
    row.requests++;
    const raw = rawClassOf(r) !== 'ok';
    if (raw) row.raw++;
    if (r.class !== 'ok') row.seen++;
    if (r.retries) row.resent++;
    if (raw && reusedWithoutResponse(r)) row.race++;
  }
  return [...rows.values()];
}

/** Sums the `connections-drained` lines and the `exit` lines' shutdownMs of the service pods' logs. */
export function drainTotals(podsDir: string): DrainTotals {
  const out: DrainTotals = { pods: 0, idle: 0, afterResponse: 0, forced: 0, shutdownMs: [] };
  if (!existsSync(podsDir)) return out;
  for (const f of readdirSync(podsDir).filter((n) => n.startsWith('service-') && n.endsWith('.log')).sort()) {
    const lines = readPodLog(join(podsDir, f));
    const drained = lines.find((l) => l.what === 'connections-drained');
    if (!drained) continue;
    out.pods++;
    out.idle += Number(drained.fields.idle ?? 0);
    out.afterResponse += Number(drained.fields.afterResponse ?? 0);
    out.forced += Number(drained.fields.forced ?? 0);
    const exit = lines.find((l) => l.what === 'exit' && typeof l.fields.shutdownMs === 'number');
    if (exit) out.shutdownMs.push(exit.fields.shutdownMs as number);
  }
  return out;
}
