/** The text between the last `begin` line and the next `end` line of a log, or null. */
export function between(log: string, begin: string, end: string): string | null {
  const i = log.lastIndexOf(begin);
  if (i < 0) return null;
  const from = i + begin.length;
  const j = log.indexOf(end, from);
  if (j < 0) return null;
  return log.slice(from, j).trim();
}

/**
 * Strips the RFC 3339 timestamp the kubelet prefixes when logs are read with timestamps=true. The
 * container runtime writes it in the node's zone (`2026-12-02T08:11:36.123456789+01:00`), or Z;
 * fractions beyond milliseconds are cut, since Date.parse takes at most three digits everywhere.
 */
export function splitTimestamp(line: string): { t: number | null; text: string } {
  const m = /^(\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d) (.*)$/.exec(line);
  if (!m) return { t: null, text: line };
  const t = Date.parse(`${m[1]!.toUpperCase()}${m[2] ? m[2].slice(0, 4) : ''}${m[3]!.toUpperCase()}`);
  return Number.isNaN(t) ? { t: null, text: line } : { t, text: m[4]! };
}
