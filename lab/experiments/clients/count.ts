import { emptyCounts, type ClassCounts } from '../../../loadtest/classes.js';
import { rawClassOf, reusedWithoutResponse, type RequestRecord } from '../../../loadtest/records.js';
import { inWindow, type Interval } from '../../report/stats.js';

// One run's failures as its client saw them, and what lies under them: the raw count (each request by
// its first attempt), the requests the client resent and what became of them, and how many raw
// failures had the shape Go's Transport resends (loadtest/client-semantics.ts goRetries: a reused
// connection, no response byte, an idempotent request, not the caller's own timeout). For the `node`
// client that last count is what `go` would have resent; for `go` it should match its resends.

export interface ClientScope {
  requests: number;
  /** failures as the client saw them, by class */
  seen: ClassCounts;
  /** failures by the first attempt, by class: what a client without resends reports */
  raw: ClassCounts;
  /** requests the client sent again by itself */
  resent: number;
  /** of those, answered on a resend: failures the client hid */
  resentOk: number;
  /** raw failures in the shape Go resends (reused connection, no response byte, idempotent) */
  goShaped: number;
}

function scope(records: readonly RequestRecord[]): ClientScope {
  const out: ClientScope = { requests: records.length, seen: emptyCounts(), raw: emptyCounts(), resent: 0, resentOk: 0, goShaped: 0 };
  for (const r of records) {
    const raw = rawClassOf(r);
    out.seen[r.class]++;
    out.raw[raw]++;
    if (r.retries) { out.resent++; if (r.class === 'ok') out.resentOk++; }
    if (raw !== 'ok' && raw !== 'timeout' && reusedWithoutResponse(r) && r.idempotent === true) out.goShaped++;
  }
  return out;
}

export function countClients(records: readonly RequestRecord[], window: Interval): { window: ClientScope; total: ClientScope } {
  return { window: scope(records.filter((r) => inWindow(r, window))), total: scope(records) };
}
