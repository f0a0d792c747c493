import { CLASSES, type ErrorClass } from '../../../loadtest/classes.js';
import type { PathKind, RequestRecord } from '../../../loadtest/records.js';
import { K6_REQ_LINE } from './constants.js';

const PATH_KINDS: readonly string[] = ['l4', 'ingress'];

/**
 * The request records the k6 script logged (`LAB_REQ <start ms> <end ms> <route> <path> <status>
 * <class>`, one per request). k6's constant-arrival-rate executor starts an iteration at its
 * scheduled time, so the start is the record's t_sched, as in the local generator. The marker is
 * searched anywhere in the line (a kubelet timestamp may precede it); malformed lines are counted.
 */
export function parseRequestLines(log: string): { records: RequestRecord[]; malformed: number } {
  const records: RequestRecord[] = [];
  let malformed = 0;
  const marker = `${K6_REQ_LINE} `;
  for (const line of log.split('\n')) {
    const i = line.indexOf(marker);
    if (i < 0) continue;
    const [start, end, route, path, status, cls] = line.slice(i + marker.length).trim().split(/\s+/);
    const t0 = Number(start);
    const t1 = Number(end);
    const code = Number(status);
    if (!route || !Number.isFinite(t0) || !Number.isFinite(t1) || t1 < t0 || !Number.isInteger(code)
      || !PATH_KINDS.includes(path ?? '') || !CLASSES.includes(cls as ErrorClass)) {
      malformed++;
      continue;
    }
    records.push({ t_sched: t0, t_start: t0, t_end: t1, route, path: path as PathKind, status: code, class: cls as ErrorClass });
  }
  return { records, malformed };
}
