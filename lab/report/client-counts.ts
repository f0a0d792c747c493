import { emptyCounts } from '../../loadtest/classes.js';
import type { ClientName } from '../../loadtest/client-semantics.js';
import { rawClassOf, type RequestRecord } from '../../loadtest/records.js';
import type { ClientCounts, RunSummary } from '../engine/schema.js';
import { inWindow, type Interval } from './stats.js';
import { failures } from './summarize.js';

// Failures as the run's client saw them, and beside them what it hid: the raw count (each request
// by its first attempt, as a client that never resends would report it) and how many it resent.

/** A local run's client counts, from its records (the generator tags each resent request). */
export function clientCounts(name: ClientName, records: readonly RequestRecord[], window: Interval): ClientCounts {
  const rawWindowCounts = emptyCounts();
  const rawTotalCounts = emptyCounts();
  let resentWindow = 0;
  let resentTotal = 0;
  for (const r of records) {
    const w = inWindow(r, window);
    rawTotalCounts[rawClassOf(r)]++;
    if (w) rawWindowCounts[rawClassOf(r)]++;
    if (r.retries) { resentTotal++; if (w) resentWindow++; }
  }
  return { name, rawWindowCounts, rawTotalCounts, resentWindow, resentTotal };
}

/** A k6 run's: Go's Transport resends inside one k6 request, so neither the raw count nor the resends are visible. */
export const K6_CLIENT: ClientCounts = { name: 'go', rawWindowCounts: null, rawTotalCounts: null, resentWindow: null, resentTotal: null };

/**
 * The client counts of any stored run. Runs made before the client was recorded: a local run's
 * generator was undici with no resend at all, so it was `node` with raw = seen and 0 resent (true
 * by construction, not assumed); a kind run's client was k6, whose resends are invisible (K6_CLIENT).
 */
export function clientOf(s: RunSummary): ClientCounts {
  if (s.client) return s.client;
  if (s.target === 'kind') return K6_CLIENT;
  return { name: 'node', rawWindowCounts: s.windowCounts, rawTotalCounts: s.totalCounts, resentWindow: 0, resentTotal: 0 };
}

/** How a table names the client: k6 runs say so, since their raw counts cannot be shown. */
export function clientLabel(s: RunSummary): string {
  return s.target === 'kind' ? 'go (k6)' : clientOf(s).name;
}

/** Raw failures in the deploy window or the whole run; NaN where invisible (shown as "not measured"). */
export function rawFailures(s: RunSummary, scope: 'window' | 'total'): number {
  const c = clientOf(s);
  const counts = scope === 'window' ? c.rawWindowCounts : c.rawTotalCounts;
  return counts ? failures(counts) : NaN;
}

export function resent(s: RunSummary, scope: 'window' | 'total'): number {
  const c = clientOf(s);
  return (scope === 'window' ? c.resentWindow : c.resentTotal) ?? NaN;
}

/**
 * Whether any of these runs recorded a client whose resends it could count: only then do tables
 * carry the client columns. Tables of older runs stay as they were, and so do k6-only ones, whose
 * columns would read "not measured" throughout (their failures are k6's: after Go's resends).
 */
export function anyRecordedClient(summaries: Iterable<RunSummary>): boolean {
  for (const s of summaries) if (s.client?.rawTotalCounts) return true;
  return false;
}
