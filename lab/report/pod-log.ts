import { readFileSync } from 'node:fs';

// Reader of the local target's pod logs (runDir/pods/<pod>.log): one line per record,
// `<ISO time> kubelet <kind> [detail] [exitCode=N]` for what the kubelet did, `<ISO time> stdout|stderr <text>`
// for what the container printed (the service and worker print pino JSON with an `event`).

export const LOG_SOURCES = ['kubelet', 'stdout', 'stderr'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

export interface PodLogLine {
  /** epoch ms */
  t: number;
  source: LogSource;
  /** kubelet kind (sigterm, pod-exit …) or the app's `event`; '' for a plain line */
  what: string;
  /** kubelet detail, or the app's JSON fields minus pino's own */
  detail: string;
  fields: Record<string, unknown>;
}

const PINO_OWN = new Set(['level', 'time', 'pid', 'name', 'msg', 'event', 'hostname']);
const LINE = /^(\S+) (kubelet|stdout|stderr) ?(.*)$/;

function compact(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return JSON.stringify(v);
}

/** `key=value` pairs of an app log line, without pino's own keys; long values are cut. */
export function fieldText(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([k]) => !PINO_OWN.has(k))
    .map(([k, v]) => {
      const s = compact(v);
      return `${k}=${s.length > 160 ? `${s.slice(0, 157)}…` : s}`;
    })
    .join(' ');
}

export function parsePodLogLine(raw: string): PodLogLine | undefined {
  const m = LINE.exec(raw);
  if (!m) return undefined;
  const t = Date.parse(m[1]!);
  if (!Number.isFinite(t)) return undefined;
  const source = m[2] as LogSource;
  const rest = m[3] ?? '';
  if (source === 'kubelet') {
    const sp = rest.indexOf(' ');
    return { t, source, what: sp < 0 ? rest : rest.slice(0, sp), detail: sp < 0 ? '' : rest.slice(sp + 1), fields: {} };
  }
  if (rest.startsWith('{')) {
    try {
      const fields = JSON.parse(rest) as Record<string, unknown>;
      // pino's own time is when the app logged it; the pod log's time is when the kubelet read it
      const appT = typeof fields.time === 'string' ? Date.parse(fields.time) : NaN;
      return { t: Number.isFinite(appT) ? appT : t, source, what: typeof fields.event === 'string' ? fields.event : '', detail: fieldText(fields), fields };
    } catch {
      // not JSON after all: keep it as a plain line
    }
  }
  return { t, source, what: '', detail: rest, fields: {} };
}

/** Every parseable line of a pod log, in file order (unparseable lines are skipped, not guessed at). */
export function readPodLog(file: string): PodLogLine[] {
  return readFileSync(file, 'utf8').split('\n').flatMap((l) => {
    const p = l ? parsePodLogLine(l) : undefined;
    return p ? [p] : [];
  });
}
