import type { Attempt } from './ingress.js';

// Which failed proxy tries were the keep-alive race, and not the rollout. The race: the app closes an
// idle keep-alive connection when its idle timeout runs out (Node: keepAliveTimeout + 1 s); a proxy
// that keeps the connection longer writes a request on it before the app's FIN reaches it, and the
// app's kernel answers with a reset. So the failed try went out on a *reused* connection whose idle age
// is the app's close, give or take the race window: one round trip plus the two event loops' lag
// (below the close), and the proxy's lag in reading the FIN (above it). A rollout's failures on reused
// connections (a pod's drain closing idle sockets, a SIGKILL) fall at any idle age, so only the few of
// them whose age happens to lie within the tolerance are counted as races.
// The app's close is the one `check` measures on the wire (keepalive-probe.ts: response end → FIN).

/** How far from the app's measured close an idle age still counts (timer jitter, round trip, event-loop lag). */
export const RACE_TOLERANCE_MS = 500;

/** What a write on a connection the app has closed ends in (a reset, or the FIN read while the request was out). */
const CLOSED_CONNECTION_ERRORS = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** `closeMs`: the app's measured idle close; undefined (none seen) → nothing is a race. */
export function isKeepAliveRace(a: Attempt, closeMs: number | undefined): boolean {
  if (closeMs === undefined || typeof a.outcome !== 'string' || !a.sent || !a.upstream?.reused) return false;
  return CLOSED_CONNECTION_ERRORS.has(a.outcome) && Math.abs(a.upstream.idleMs - closeMs) <= RACE_TOLERANCE_MS;
}

export interface RaceCounts {
  /** failed tries that went out on a connection (a connect error never did) */
  failedTries: number;
  /** of those, keep-alive races */
  races: number;
  /** races the proxy retried on another endpoint: the client never saw them */
  retried: number;
  /** races the proxy answered with its error page (a POST is never retried): failures the client saw */
  answered: number;
}

export const noRaces = (): RaceCounts => ({ failedTries: 0, races: 0, retried: 0, answered: 0 });

export function countRaces(attempts: Iterable<Attempt>, closeMs: number | undefined): RaceCounts {
  const c = noRaces();
  for (const a of attempts) {
    if (typeof a.outcome !== 'string' || !a.sent) continue;
    c.failedTries++;
    if (!isKeepAliveRace(a, closeMs)) continue;
    c.races++;
    if (a.last) c.answered++; else c.retried++;
  }
  return c;
}

/** What `check` reports: the races over the whole run and within the deploy window, against the app's close. */
export interface KeepAliveRaces {
  /** the app's idle close as measured on the wire; undefined: none seen, so nothing was counted as a race */
  closeMs: number | undefined;
  toleranceMs: number;
  run: RaceCounts;
  window: RaceCounts;
}

/** `attempts` stamped with when the proxy reported them (ms, Date.now()); the window is the deploy window. */
export function keepAliveRaces(attempts: ReadonlyArray<Attempt & { t: number }>, closeMs: number | undefined, window: { start: number; end: number }): KeepAliveRaces {
  return {
    closeMs, toleranceMs: RACE_TOLERANCE_MS,
    run: countRaces(attempts, closeMs),
    window: countRaces(attempts.filter((a) => a.t >= window.start && a.t <= window.end), closeMs),
  };
}
