import { LabError } from '../../../common/errors.js';
import type { ShutdownTiming } from './manifest.js';

// The jittered arm's CLOSE_JITTER_MS, sized from numbers the lab measures: spread one draining
// pod's connections so their reconnects ask for at most RECONNECT_SHARE of the accept rate the
// receivers showed when every client connected at once.

export const RECONNECT_SHARE = 0.25;
export const MIN_WINDOW_MS = 100;
/** what the draining pod still needs after the last idle close: the last responses, queue and Redis close */
export const CLOSE_MARGIN_MS = 1000;

/** The longest window that still ends before the drain lever's guardian fires. */
export function maxJitterMs(t: ShutdownTiming): number {
  return Math.max(0, t.shutdownDeadlineMs - t.drainDelayMs - CLOSE_MARGIN_MS);
}

export interface WindowSizing { ms: number; perPod: number; acceptPerS: number; share: number; clampedTo?: number; formula: string }

export function sizeJitterWindow(clients: number, t: ShutdownTiming, acceptPerS: number): WindowSizing {
  const perPod = Math.ceil(clients / Math.max(1, t.replicas));
  const raw = Math.ceil((1000 * perPod) / Math.max(1, acceptPerS * RECONNECT_SHARE));
  const max = maxJitterMs(t);
  const ms = Math.min(max, Math.max(MIN_WINDOW_MS, raw));
  return {
    ms, perPod, acceptPerS, share: RECONNECT_SHARE, ...(ms !== raw ? { clampedTo: ms } : {}),
    formula: `window = connections per pod / (${RECONNECT_SHARE} × measured accept rate) = ${perPod} / (${RECONNECT_SHARE} × ${acceptPerS}/s) = ${raw} ms${ms !== raw ? `, clamped to ${ms} ms (${MIN_WINDOW_MS}..${max}: SHUTDOWN_DEADLINE_MS ${t.shutdownDeadlineMs} − DRAIN_DELAY_MS ${t.drainDelayMs} − ${CLOSE_MARGIN_MS} ms)` : ''}`,
  };
}

/** A --jitter-ms the draining pod cannot honour (its guardian would cut the tail) is refused before anything starts. */
export function checkJitterOption(ms: number | undefined, t: ShutdownTiming): void {
  if (ms === undefined) return;
  const max = maxJitterMs(t);
  if (ms > max) throw new LabError('LAB_BAD_OPTION', `--jitter-ms ${ms} is out of range 1..${max}: the window must end before the shutdown guardian (SHUTDOWN_DEADLINE_MS ${t.shutdownDeadlineMs} − DRAIN_DELAY_MS ${t.drainDelayMs} − ${CLOSE_MARGIN_MS} ms margin)`);
}
