import { LabError } from '../../common/errors.js';

/** The Redis stream every pod's ticker appends to and every stream client reads. */
export const EVENTS_KEY = 'lab:events';

/** A Redis stream entry id `<ms>-<seq>` (https://redis.io/docs/latest/develop/data-types/streams/#entry-ids). */
const ID_RE = /^(\d{1,15})-(\d{1,15})$/;

export interface StreamEvent {
  readonly id: string;
  /** the ticker's slot number (ms / EVENTS_INTERVAL_MS) */
  readonly seq: number;
  /** when the winning pod appended it, epoch ms */
  readonly at: number;
}

/** Parses a client's Last-Event-ID (header or `lastEventId` query); absent → undefined, malformed → LAB_BAD_EVENT_ID. */
export function parseLastEventId(raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !ID_RE.test(raw)) {
    throw new LabError('LAB_BAD_EVENT_ID', `${JSON.stringify(typeof raw === 'string' ? raw.slice(0, 64) : raw)} is not <ms>-<seq> (digits, as the server sent it in id:)`);
  }
  return raw;
}

/** Orders two stream ids numerically (string order is wrong once the ms part changes length). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}

/** An entry as ioredis returns it (`[id, [field, value, ...]]`) → StreamEvent. */
export function toEvent(entry: [string, string[]]): StreamEvent {
  const [id, fields] = entry;
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  return { id, seq: Number(f.seq ?? 0), at: Number(f.at ?? 0) };
}
