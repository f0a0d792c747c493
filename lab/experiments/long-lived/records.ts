// What each client of the long-lived experiment records, in the lab process.

export type Path = 'l4' | 'ingress';
export type StreamKind = 'sse' | 'ws';

/** A Redis stream id `<ms>-<seq>` as one number (seq < 1000 here: the ticker always appends `<slot>-0`). */
export function encodeId(id: string): number {
  const [ms, seq] = id.split('-');
  return Number(ms) * 1000 + Number(seq ?? 0);
}

/** From the end of an open stream to the next open one (failed attempts before a client's first stream are not a gap). */
export interface Gap {
  /** when the stream ended, epoch ms */
  at: number;
  /** until the next stream was open */
  ms: number;
}

export interface StreamRecord {
  kind: StreamKind;
  path: Path;
  /** ids in the order received (encodeId) */
  ids: number[];
  opens: number;
  /** ended after the server's reconnect signal (SSE `event: reconnect`, WS close 1012/1001) */
  clean: number;
  /** ended without it: reset, EOF or an abnormal close */
  cut: number;
  /** connection attempts that failed (refused, non-200, handshake error) */
  failedAttempts: number;
  /** EventSource closed for good (non-200: WHATWG does not reconnect) and the app made a new one, which has no Last-Event-ID */
  freshRestarts: number;
  gaps: Gap[];
  /** why attempts failed or streams ended, by message (status code or error), counted */
  errors: Record<string, number>;
}

export function newStreamRecord(kind: StreamKind, path: Path): StreamRecord {
  return { kind, path, ids: [], opens: 0, clean: 0, cut: 0, failedAttempts: 0, freshRestarts: 0, gaps: [], errors: {} };
}

export const UPLOAD_OUTCOMES = ['completed', 'refused', 'cut', 'corrupt', 'error'] as const;
export type UploadOutcome = (typeof UPLOAD_OUTCOMES)[number];

export interface UploadRecord {
  path: Path;
  expectContinue: boolean;
  start: number;
  end: number;
  outcome: UploadOutcome;
  status?: number;
  detail?: string;
  retryAfterS?: number;
  /** the retry after Retry-After seconds of a refused upload: its outcome */
  retry?: UploadOutcome;
}

export interface StreamSample {
  t: number;
  pod: string;
  sse: number;
  ws: number;
  terminating: boolean;
}
