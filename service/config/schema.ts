import { isIP } from 'node:net';
import { LabError } from '../../common/errors.js';

// What operators may change at run time. Everything else the service reads is immutable for the
// life of the process (env), so a reload can never half-apply a setting that needs a restart.

export interface BlockEntry {
  readonly kind: 'address' | 'subnet';
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly prefix?: number;
}

export interface ConfigValues {
  readonly slowDefaultMs: number;
  readonly rateLimit: { readonly perClientPerSecond: number };
  readonly blocklist: readonly string[];
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

/**
 * What a running Config carries: the validated values without the raw blocklist (its matcher
 * holds the index), so a 10,000-entry list is not copied back from the parser thread.
 */
export interface RuntimeValues {
  readonly slowDefaultMs: number;
  readonly rateLimit: { readonly perClientPerSecond: number };
  readonly blocklistEntries: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export function runtimeValues({ blocklist, ...rest }: ConfigValues): RuntimeValues {
  return { ...rest, blocklistEntries: blocklist.length };
}

export const DEFAULT_VALUES: ConfigValues = {
  slowDefaultMs: 1000,
  rateLimit: { perClientPerSecond: 0 },
  blocklist: [],
};

export const SLOW_DEFAULT_MAX_MS = 30_000;
const TOP_KEYS = ['slowDefaultMs', 'rateLimit', 'blocklist', 'tls'] as const;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(file: string, field: string, problem: string): LabError {
  return new LabError('LAB_BAD_CONFIG', `${file}: ${field}: ${problem}`);
}

function rejectUnknown(file: string, obj: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw bad(file, `${prefix}${k}`, `unknown key (allowed: ${allowed.join(', ')})`);
  }
}

function int(file: string, field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(file, field, `${JSON.stringify(v)} is not an integer`);
  if (v < min || v > max) throw bad(file, field, `${v} is out of range ${min}..${max}`);
  return v;
}

/** One blocklist entry: an IPv4/IPv6 address or a CIDR with a prefix valid for its family. */
export function parseBlockEntry(file: string, index: number, v: unknown): BlockEntry {
  const field = `blocklist[${index}]`;
  if (typeof v !== 'string') throw bad(file, field, `${JSON.stringify(v)} is not a string`);
  const slash = v.indexOf('/');
  const address = slash < 0 ? v : v.slice(0, slash);
  const fam = isIP(address);
  if (fam === 0) throw bad(file, field, `"${v}" is not an IPv4/IPv6 address or CIDR`);
  const family = fam === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) return { kind: 'address', family, address };
  const prefixText = v.slice(slash + 1);
  const max = fam === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    throw bad(file, field, `"${v}" has prefix "${prefixText}"; expected 0..${max}`);
  }
  return { kind: 'subnet', family, address, prefix: Number(prefixText) };
}

function path(file: string, field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw bad(file, field, `${JSON.stringify(v)} is not a non-empty path`);
  return v;
}

/** Validates a parsed document; returns plain values plus the parsed blocklist entries. */
export function validateConfig(file: string, doc: unknown): { values: ConfigValues; entries: BlockEntry[] } {
  if (doc === null || doc === undefined) throw bad(file, '(root)', 'document is empty');
  if (!isPlainObject(doc)) throw bad(file, '(root)', 'expected a mapping/object at the top level');
  rejectUnknown(file, doc, TOP_KEYS, '');

  const slowDefaultMs = doc.slowDefaultMs === undefined
    ? DEFAULT_VALUES.slowDefaultMs
    : int(file, 'slowDefaultMs', doc.slowDefaultMs, 0, SLOW_DEFAULT_MAX_MS);

  let perClientPerSecond = DEFAULT_VALUES.rateLimit.perClientPerSecond;
  if (doc.rateLimit !== undefined) {
    if (!isPlainObject(doc.rateLimit)) throw bad(file, 'rateLimit', 'expected a mapping with perClientPerSecond');
    rejectUnknown(file, doc.rateLimit, ['perClientPerSecond'], 'rateLimit.');
    if (doc.rateLimit.perClientPerSecond !== undefined) {
      perClientPerSecond = int(file, 'rateLimit.perClientPerSecond', doc.rateLimit.perClientPerSecond, 0, 1_000_000);
    }
  }

  const entries: BlockEntry[] = [];
  const blocklist: string[] = [];
  if (doc.blocklist !== undefined && doc.blocklist !== null) {
    if (!Array.isArray(doc.blocklist)) throw bad(file, 'blocklist', 'expected a list of addresses or CIDRs');
    doc.blocklist.forEach((v, i) => {
      entries.push(parseBlockEntry(file, i, v));
      blocklist.push(v as string);
    });
  }

  let tls: ConfigValues['tls'];
  if (doc.tls !== undefined) {
    if (!isPlainObject(doc.tls)) throw bad(file, 'tls', 'expected a mapping with certFile and keyFile');
    rejectUnknown(file, doc.tls, ['certFile', 'keyFile'], 'tls.');
    tls = { certFile: path(file, 'tls.certFile', doc.tls.certFile), keyFile: path(file, 'tls.keyFile', doc.tls.keyFile) };
  }

  const values: ConfigValues = { slowDefaultMs, rateLimit: { perClientPerSecond }, blocklist, ...(tls ? { tls } : {}) };
  return { values, entries };
}
