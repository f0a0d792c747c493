import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

// The TCP ports a pod's processes listen on, from the kernel's own tables: the socket inodes
// its processes hold (/proc/<pid>/fd) matched against the LISTEN rows of /proc/<pid>/net/tcp{,6}
// (the tables of the pod's network namespace). Used to tell "the app listens on :8080, not :3000".

export interface Listener { address: string; port: number }

const LISTEN = '0A';

function read(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** `root` and every descendant (all threads' children). */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0 && out.length < 10_000) {
    const pid = todo.pop()!;
    out.push(pid);
    let tasks: string[] = [];
    try { tasks = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const t of tasks) todo.push(...read(`/proc/${pid}/task/${t}/children`).trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return out;
}

function socketInodes(pids: readonly number[]): Set<string> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch { /* closed meanwhile */ }
    }
  }
  return inodes;
}

/** /proc/net/tcp's address: each 32-bit word in host (little-endian) order. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.'); // v4-mapped
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

/** Listening TCP sockets held by the process tree under `root`, seen from `netPid`'s network namespace. */
export function listeningSockets(root: number, netPid: number = root): Listener[] {
  const inodes = socketInodes(processTree(root));
  if (inodes.size === 0) return [];
  const out: Listener[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of read(`/proc/${netPid}/net/${table}`).split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN || !inodes.has(f[9]!)) continue;
      const [addr, port] = f[1]!.split(':') as [string, string];
      const l = { address: decodeAddress(addr), port: parseInt(port, 16) };
      if (!out.some((o) => o.address === l.address && o.port === l.port)) out.push(l);
    }
  }
  return out.sort((a, b) => a.port - b.port);
}

export const isLoopbackAddress = (a: string) => a.startsWith('127.') || a === '::1';
export const isWildcardAddress = (a: string) => a === '0.0.0.0' || a === '::';

export function formatListener(l: Listener): string {
  return `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`;
}
