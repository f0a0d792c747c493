/** The text between the last `begin` line and the next `end` line of a log, or null. */
export function between(log: string, begin: string, end: string): string | null {
  const i = log.lastIndexOf(begin);
  if (i < 0) return null;
  const from = i + begin.length;
  const j = log.indexOf(end, from);
  if (j < 0) return null;
  return log.slice(from, j).trim();
}

/** Strips the RFC 3339 timestamp kubelet prefixes when logs are read with timestamps=true. */
export function splitTimestamp(line: string): { t: number | null; text: string } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (.*)$/.exec(line);
  if (!m) return { t: null, text: line };
  return { t: Date.parse(m[1]!), text: m[2]! };
}
