import { readFileSync } from 'node:fs';
import { LabError } from '../../../common/errors.js';

// Every client connection is one file descriptor in the lab process, and all of them may land on
// one pod, whose process inherits the same RLIMIT_NOFILE. Node has no getrlimit, so the limit is
// read where the kernel publishes it.

/** Descriptors the lab needs besides the clients: pod pipes, logs, probes, scrapes, Redis, the ingress. */
export const FD_HEADROOM = 512;

export interface FdLimit { soft: number; hard: number }

/** Parses the "Max open files" row of /proc/<pid>/limits ("unlimited" → Infinity). */
export function parseFdLimit(limitsText: string): FdLimit {
  const row = limitsText.split('\n').find((l) => l.startsWith('Max open files'));
  const m = row && /^Max open files\s+(\S+)\s+(\S+)/.exec(row);
  if (!m) throw new LabError('LAB_FD_LIMIT', 'cannot read "Max open files" from /proc/self/limits');
  const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m[1]!), hard: n(m[2]!) };
}

export function readFdLimit(file = '/proc/self/limits'): FdLimit {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) { throw new LabError('LAB_FD_LIMIT', `cannot read ${file}: ${(err as Error).message}`); }
  return parseFdLimit(text);
}

/** Throws LAB_FD_LIMIT naming the limit and how to raise it when `clients` cannot fit. */
export function checkFdLimit(clients: number, limit: FdLimit = readFdLimit()): number {
  const need = clients + FD_HEADROOM;
  if (limit.soft >= need) return need;
  const how = limit.hard >= need
    ? `raise the soft limit with \`ulimit -n ${need}\` (hard limit ${limit.hard}) in this shell, or run \`make reconnect\`, which raises it to the hard limit`
    : `the hard limit is only ${limit.hard}: raise it as root (\`ulimit -Hn ${need}\`, or nofile in /etc/security/limits.conf or LimitNOFILE= of the unit), or ask for at most ${Math.max(0, limit.hard - FD_HEADROOM)} clients`;
  throw new LabError('LAB_FD_LIMIT', `RLIMIT_NOFILE (open files) soft limit is ${limit.soft}; ${clients} clients need at least ${need}: ${how}`);
}
