import type { Attempt } from '../../targets/local/ingress.js';

// What each request's first try met at the proxy, and whether the client still saw a failure: the
// difference is what the route retry hid. One request = its client outcome + the proxy's tries for it
// (joined on the `r=<id>` query parameter every request of the experiment carries).

export const KINDS = ['refused', 'pod-503', 'reset-get', 'reset-post', 'cut', 'timeout', 'no-endpoint'] as const;
export type Kind = (typeof KINDS)[number];

export const KIND_TITLES: Record<Kind, string> = {
  refused: 'refused connect',
  'pod-503': '503 from the pod',
  'reset-get': 'reset before headers, GET',
  'reset-post': 'reset before headers, POST (body sent)',
  cut: 'reset mid-response (SSE)',
  timeout: 'route timeout',
  'no-endpoint': 'no endpoint',
};

export interface ClientOutcome {
  id: string;
  method: string;
  /** HTTP status, 0 when no response arrived */
  status: number;
  /** the response began (headers arrived) and its body was then cut */
  cut?: boolean;
  error?: string;
}

export interface Classified {
  method: string;
  /** how the first try failed, or null when it did not */
  first: Kind | null;
  clientFailed: boolean;
  tries: number;
  /** no further try was allowed: every try the route allows was made (1 + attempts; 1 without a retry),
   * or the last try failed in a way retry_on does not cover (a reset, a timeout, a cut response) */
  noRetryLeft: boolean;
}

const UNRETRIABLE: ReadonlySet<Kind> = new Set(['reset-get', 'reset-post', 'timeout', 'cut']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function firstTryKind(method: string, tries: readonly Attempt[], client: ClientOutcome): Kind | null {
  const t = tries[0];
  if (!t) return client.status === 503 ? 'no-endpoint' : null;
  if (!t.sent) return 'refused';
  if (typeof t.outcome === 'number') {
    if (t.outcome === 503) return 'pod-503';
    return client.cut ? 'cut' : null;
  }
  if (TIMEOUTS.has(t.outcome)) return 'timeout';
  return method === 'POST' ? 'reset-post' : 'reset-get';
}

export function classify(client: ClientOutcome, tries: readonly Attempt[], maxTries: number): Classified {
  return {
    method: client.method,
    first: firstTryKind(client.method, tries, client),
    clientFailed: client.status === 0 || client.status >= 500 || !!client.cut,
    tries: tries.length,
    noRetryLeft: tries.length >= maxTries || UNRETRIABLE.has(firstTryKind(client.method, tries.slice(-1), client) ?? 'refused'),
  };
}

/** `noRetryLeftFailures`: client failures with no retry left (Classified.noRetryLeft). */
export interface KindCount { firstTries: number; clientFailures: number; noRetryLeftFailures: number }
export interface VariantCounts {
  requests: number;
  clientFailures: number;
  retried: number;
  byKind: Record<Kind, KindCount>;
}

export function count(rows: readonly Classified[]): VariantCounts {
  const byKind = Object.fromEntries(KINDS.map((k) => [k, { firstTries: 0, clientFailures: 0, noRetryLeftFailures: 0 }])) as Record<Kind, KindCount>;
  let clientFailures = 0;
  let retried = 0;
  for (const r of rows) {
    if (r.clientFailed) clientFailures++;
    if (r.tries > 1) retried++;
    if (r.first === null) continue;
    byKind[r.first].firstTries++;
    if (r.clientFailed) byKind[r.first].clientFailures++;
    if (r.clientFailed && r.noRetryLeft) byKind[r.first].noRetryLeftFailures++;
  }
  return { requests: rows.length, clientFailures, retried, byKind };
}
