import { CLASSES, type ErrorClass } from '../../../loadtest/classes.js';
import type { PathKind, RequestRecord } from '../../../loadtest/records.js';
import { K6_REQ_LINE } from './constants.js';

const PATH_KINDS: readonly string[] = ['l4', 'ingress'];

/** What the parse of a k6 log found: the records, and the lines that claimed to be one but were not. */
export interface ParsedRequests {
  records: RequestRecord[];
  malformed: number;
  /** the first malformed line (cut to 200 characters), to name in the verdict */
  firstMalformed?: string;
}

/** One LAB_REQ payload → a record, or null when it is not one (loadtest/k6/script.js prints it). */
function toRecord(payload: string): RequestRecord | null {
  let v: unknown;
  try { v = JSON.parse(payload); } catch { return null; }
  // 7 fields from scripts before the connection tags, 10 since
  if (!Array.isArray(v) || (v.length !== 7 && v.length !== 10)) return null;
  const [start, ms, route, path, status, cls, errorCode, reused, idempotent, pod] = v as unknown[];
  if (typeof start !== 'number' || !Number.isFinite(start) || typeof ms !== 'number' || !(ms >= 0)) return null;
  if (typeof route !== 'string' || route === '' || typeof path !== 'string' || !PATH_KINDS.includes(path)) return null;
  if (typeof status !== 'number' || !Number.isInteger(status) || typeof cls !== 'string' || !CLASSES.includes(cls as ErrorClass)) return null;
  if (typeof errorCode !== 'number' || !Number.isInteger(errorCode)) return null;
  const r: RequestRecord = { t_sched: start, t_start: start, t_end: start + ms, route, path: path as PathKind, status, class: cls as ErrorClass };
  if (errorCode !== 0) r.errorCode = `k6:${errorCode}`;
  if (v.length === 7) return r;
  if ((reused !== 0 && reused !== 1) || (idempotent !== 0 && idempotent !== 1) || typeof pod !== 'string') return null;
  r.reused = reused === 1;
  r.idempotent = idempotent === 1;
  // a status means the response arrived; without one k6 cannot tell whether any byte did
  if (status > 0) r.respByte = true;
  if (pod) r.pod = pod;
  return r;
}

/**
 * The request records the k6 script logged, one per request:
 * `LAB_REQ [start ms, duration ms, route, path, status, class, k6 error code, reused 0|1, idempotent 0|1, pod]`
 * (the last three absent in logs of scripts before them; a JSON array, so a
 * route name may hold spaces and any URL character). k6's constant-arrival-rate executor starts
 * an iteration at its scheduled time, so the start is the record's t_sched, as in the local
 * generator. The marker is searched anywhere in the line (a kubelet timestamp may precede it);
 * a line with the marker that does not parse is counted as malformed, never skipped silently.
 */
export function parseRequestLines(log: string): ParsedRequests {
  const out: ParsedRequests = { records: [], malformed: 0 };
  const marker = `${K6_REQ_LINE} `;
  for (const line of log.split('\n')) {
    const i = line.indexOf(marker);
    if (i < 0) continue;
    const r = toRecord(line.slice(i + marker.length).trim());
    if (r) { out.records.push(r); continue; }
    out.malformed++;
    out.firstMalformed ??= line.slice(0, 200);
  }
  return out;
}
