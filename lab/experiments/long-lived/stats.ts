import type { StreamRecord, UploadRecord } from './records.js';

/** The Redis stream as it stands after the run: ids (encodeId) and append times, in stream order. */
export interface Truth {
  ids: number[];
  at: number[];
}

export interface StreamStats {
  clients: number;
  /** clients that never received an event */
  silent: number;
  delivered: number;
  /** events of the stream after a client's first event (and older than stop − grace) it never received */
  lost: number;
  clientsWithLoss: number;
  duplicated: number;
  outOfOrder: number;
  closedClean: number;
  cut: number;
  failedAttempts: number;
  freshRestarts: number;
  reconnects: number;
  gapP50Ms: number | null;
  gapP99Ms: number | null;
  gapMaxMs: number | null;
}

/** Delivery allowance: an event appended this close to the stop may still be on its way. */
export const DELIVERY_GRACE_MS = 2000;

export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
}

/** Lost and duplicated are judged against the stream itself (its XRANGE after the run), not against id arithmetic. */
export function streamStats(recs: readonly StreamRecord[], truth: Truth, stopAt: number): StreamStats {
  const gaps: number[] = [];
  const s: StreamStats = {
    clients: recs.length, silent: 0, delivered: 0, lost: 0, clientsWithLoss: 0, duplicated: 0, outOfOrder: 0,
    closedClean: 0, cut: 0, failedAttempts: 0, freshRestarts: 0, reconnects: 0, gapP50Ms: null, gapP99Ms: null, gapMaxMs: null,
  };
  for (const r of recs) {
    s.closedClean += r.clean;
    s.cut += r.cut;
    s.failedAttempts += r.failedAttempts;
    s.freshRestarts += r.freshRestarts;
    s.reconnects += r.gaps.length;
    for (const g of r.gaps) gaps.push(g.ms);
    if (r.ids.length === 0) { s.silent++; continue; }
    const seen = new Set(r.ids);
    s.delivered += seen.size;
    s.duplicated += r.ids.length - seen.size;
    for (let i = 1; i < r.ids.length; i++) if (r.ids[i]! < r.ids[i - 1]!) s.outOfOrder++;
    const first = r.ids[0]!;
    let lost = 0;
    for (let i = 0; i < truth.ids.length; i++) {
      const id = truth.ids[i]!;
      if (id <= first || truth.at[i]! > stopAt - DELIVERY_GRACE_MS) continue;
      if (!seen.has(id)) lost++;
    }
    s.lost += lost;
    if (lost > 0) s.clientsWithLoss++;
  }
  gaps.sort((a, b) => a - b);
  s.gapP50Ms = quantile(gaps, 0.5);
  s.gapP99Ms = quantile(gaps, 0.99);
  s.gapMaxMs = gaps.at(-1) ?? null;
  return s;
}

export interface UploadStats {
  started: number;
  completed: number;
  /** failed after body bytes went out, without a clean refusal (reset, 502/504) */
  cutMidBody: number;
  refused: number;
  refusedBeforeBody: number;
  retriedOk: number;
  /** failed before any body was sent (connection refused by a dead pod) */
  connectFailed: number;
  corrupt: number;
  otherErrors: number;
}

export function uploadStats(recs: readonly UploadRecord[]): UploadStats {
  const s: UploadStats = { started: recs.length, completed: 0, cutMidBody: 0, refused: 0, refusedBeforeBody: 0, retriedOk: 0, connectFailed: 0, corrupt: 0, otherErrors: 0 };
  for (const r of recs) {
    if (r.outcome === 'completed') s.completed++;
    else if (r.outcome === 'cut') s.cutMidBody++;
    else if (r.outcome === 'corrupt') s.corrupt++;
    else if (r.outcome === 'refused') {
      s.refused++;
      if (r.detail === 'before body') s.refusedBeforeBody++;
      if (r.retry === 'completed') s.retriedOk++;
    } else if (r.status === undefined) s.connectFailed++;
    else s.otherErrors++;
  }
  return s;
}

/** Pauses of the stream itself (no pod appended for more than 3 intervals): not a client's loss, but worth seeing. */
export function streamPauses(truth: Truth, intervalMs: number): Array<{ from: number; ms: number }> {
  const out: Array<{ from: number; ms: number }> = [];
  for (let i = 1; i < truth.ids.length; i++) {
    const ms = (truth.ids[i]! - truth.ids[i - 1]!) / 1000;
    if (ms > 3 * intervalMs) out.push({ from: truth.ids[i - 1]! / 1000, ms });
  }
  return out;
}
