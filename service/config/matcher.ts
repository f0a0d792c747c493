import type { BlockEntry } from './schema.js';

// Blocklist matching with one lookup per distinct prefix length (IPv4: binary search in a sorted
// Uint32Array, which crosses from the parser thread without copying; IPv6: a Set). Hand-written because
// node:net BlockList keeps its rules in a list: with 10,000 entries it took ~50 ms to build and
// ~80 µs per check on the lab machine, which would stall the event loop on every reload and tax
// every request. BlockList remains the reference: test/reload/matcher.test.ts checks this
// matcher against it on random addresses. Input is already validated (schema.ts uses net.isIP).

/** IPv4 dotted quad → bigint; IPv6 (with ::, and an optional dotted IPv4 tail) → bigint. */
export function ipToBigInt(ip: string, family: 'ipv4' | 'ipv6'): bigint {
  if (family === 'ipv4') {
    const p = ip.split('.');
    return BigInt(((Number(p[0]) << 24) >>> 0) + (Number(p[1]) << 16) + (Number(p[2]) << 8) + Number(p[3]));
  }
  let s = ip.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const v4 = Number(ipToBigInt(s.slice(lastColon + 1), 'ipv4'));
    tail = [v4 >>> 16, v4 & 0xffff];
    s = s.slice(0, lastColon + 1) + '0:0'; // two placeholder groups, replaced below
  }
  const [head, rest] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head === '' ? [] : head.split(':');
  const r = rest === undefined || rest === '' ? [] : rest.split(':');
  let groups = [...h, ...Array(Math.max(0, 8 - h.length - r.length)).fill('0'), ...r].map((g) => parseInt(g, 16));
  if (tail.length) groups = [...groups.slice(0, 6), ...tail];
  let n = 0n;
  for (const g of groups.slice(0, 8)) n = (n << 16n) | BigInt(g);
  return n;
}

/** IPv4 as an unsigned 32-bit number: plain numbers are several times faster than bigint here. */
function v4ToNumber(ip: string): number {
  const p = ip.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

const mask4 = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const mask6 = (prefix: number) => (prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix));

/** Groups networks by prefix length; lookups run longest prefix first. */
function byPrefix<K>(items: Array<[number, K]>, maskOf: (p: number) => K, and: (a: K, b: K) => K): Array<[K, Set<K>]> {
  const nets = new Map<number, Set<K>>();
  for (const [prefix, addr] of items) {
    let set = nets.get(prefix);
    if (!set) nets.set(prefix, (set = new Set()));
    set.add(and(addr, maskOf(prefix)));
  }
  return [...nets.keys()].sort((a, b) => b - a).map((p) => [maskOf(p), nets.get(p)!]);
}

/** The index, as plain data: built on the parser thread, sent by postMessage (v4 arrays transferred). */
export interface Lookups {
  v4: Array<[number, Uint32Array]>;
  v6: Array<[bigint, Set<bigint>]>;
}

export function buildLookups(entries: readonly BlockEntry[]): Lookups {
  const v4: Array<[number, number]> = [];
  const v6: Array<[number, bigint]> = [];
  for (const e of entries) {
    if (e.family === 'ipv4') v4.push([e.kind === 'address' ? 32 : e.prefix!, v4ToNumber(e.address)]);
    else v6.push([e.kind === 'address' ? 128 : e.prefix!, ipToBigInt(e.address, 'ipv6')]);
  }
  return {
    v4: byPrefix(v4, mask4, (a, m) => (a & m) >>> 0).map(([m, set]) => [m, Uint32Array.from(set).sort()]),
    v6: byPrefix(v6, mask6, (a, m) => a & m),
  };
}

/** The buffers postMessage can move instead of copy. */
export function transferables(l: Lookups): ArrayBuffer[] {
  return l.v4.map(([, a]) => a.buffer as ArrayBuffer);
}

function sortedHas(a: Uint32Array, x: number): boolean {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = a[mid]!;
    if (v === x) return true;
    if (v < x) lo = mid + 1; else hi = mid - 1;
  }
  return false;
}

export function matcherFrom({ v4: look4, v6: look6 }: Lookups): (ip: string) => boolean {
  if (look4.length === 0 && look6.length === 0) return () => false;
  return (ip: string) => {
    // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; an IPv4 rule must still match them.
    const mapped = ip.startsWith('::ffff:') && ip.includes('.');
    try {
      if (mapped || !ip.includes(':')) {
        if (look4.length === 0) return false;
        const n = v4ToNumber(mapped ? ip.slice(7) : ip);
        for (const [m, nets] of look4) if (sortedHas(nets, (n & m) >>> 0)) return true;
        return false;
      }
      if (look6.length === 0) return false;
      const n = ipToBigInt(ip, 'ipv6');
      for (const [m, nets] of look6) if (nets.has(n & m)) return true;
      return false;
    } catch {
      return false;
    }
  };
}

export function buildMatcher(entries: readonly BlockEntry[]): (ip: string) => boolean {
  return matcherFrom(buildLookups(entries));
}
