import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { LabError } from '../../common/errors.js';
import { buildLookups, matcherFrom, type Lookups } from './matcher.js';
import { DEFAULT_VALUES, runtimeValues, validateConfig, type RuntimeValues } from './schema.js';

/** Certificate and key from the same config, already checked to belong together. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly fingerprint256: string;
  readonly validTo: string;
}

/** One immutable, validated configuration. Requests hold a reference to it for their whole life. */
export interface Config {
  readonly version: number;
  readonly loadedAt: string;
  /** sha256 of the source bytes (config file, then cert and key if any); null for the defaults */
  readonly checksum: string | null;
  /** the config file path, or 'defaults' when CONFIG_FILE is unset */
  readonly source: string;
  readonly values: RuntimeValues;
  readonly tls?: TlsMaterial;
  isBlocked(ip: string): boolean;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Parses by extension (.json / .yaml / .yml), otherwise by content: JSON if it looks like JSON. */
export function parseDocument(file: string, text: string): unknown {
  const ext = extname(file).toLowerCase();
  const asJson = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*[{[]/.test(text));
  try {
    return asJson ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0]!.replace(/:\s*$/, '');
    throw new LabError('LAB_BAD_CONFIG', `${file}: (syntax): ${asJson ? 'JSON' : 'YAML'} parse error: ${msg}`, { cause: err });
  }
}

async function readText(file: string, field: string, owner: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new LabError('LAB_BAD_CONFIG', `${owner}: ${field}: cannot read ${file} (${code})`, { cause: err });
  }
}

/**
 * Reads certificate and key together and proves they are one unit: the key matches the
 * certificate, the certificate is valid now, and OpenSSL accepts the pair as a context.
 */
export async function loadTlsMaterial(configFile: string, certFile: string, keyFile: string, now = Date.now()): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([
    readText(certFile, 'tls.certFile', configFile),
    readText(keyFile, 'tls.keyFile', configFile),
  ]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new LabError('LAB_BAD_CONFIG', `${configFile}: tls.certFile: ${certFile} is not a PEM certificate`, { cause: err });
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new LabError('LAB_BAD_CONFIG', `${configFile}: tls.keyFile: ${keyFile} is not a PEM private key`, { cause: err });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new LabError('LAB_TLS_MISMATCH', `${configFile}: tls: key ${keyFile} does not belong to certificate ${certFile}`);
  }
  const from = Date.parse(x509.validFrom);
  const to = Date.parse(x509.validTo);
  if (to <= now) throw new LabError('LAB_BAD_CONFIG', `${configFile}: tls.certFile: ${certFile} expired at ${x509.validTo}`);
  if (from > now) throw new LabError('LAB_BAD_CONFIG', `${configFile}: tls.certFile: ${certFile} is not valid before ${x509.validFrom}`);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new LabError('LAB_TLS_MISMATCH', `${configFile}: tls: OpenSSL rejects the pair: ${(err as Error).message}`, { cause: err });
  }
  return { cert, key, fingerprint256: x509.fingerprint256, validTo: x509.validTo };
}

/** Everything a reload computes before the swap, as plain cloneable data (see parser.ts). */
export interface ConfigParts {
  readonly source: string;
  readonly checksum: string;
  readonly values: RuntimeValues;
  readonly lookups: Lookups;
  readonly tls?: TlsMaterial;
}

/** The only part of a reload on the event loop: wrap the parts into a frozen Config. */
export function assemble(version: number, parts: ConfigParts): Config {
  const config: Config = {
    version,
    loadedAt: new Date().toISOString(),
    checksum: parts.checksum,
    source: parts.source,
    values: parts.values,
    ...(parts.tls ? { tls: parts.tls } : {}),
    isBlocked: matcherFrom(parts.lookups),
  };
  return deepFreeze(config);
}

export function defaultConfig(version: number): Config {
  const config: Config = {
    version, loadedAt: new Date().toISOString(), checksum: null, source: 'defaults',
    values: runtimeValues(structuredClone(DEFAULT_VALUES)), isBlocked: () => false,
  };
  return deepFreeze(config);
}

/** Parse, validate, TLS check, checksum and blocklist index from text already read. */
export async function partsFromText(file: string, text: string): Promise<ConfigParts> {
  const { values, entries } = validateConfig(file, parseDocument(file, text));
  // Relative TLS paths are relative to the config file, so a ConfigMap and Secret mounted side by
  // side can refer to each other without knowing the mount point.
  const tls = values.tls
    ? await loadTlsMaterial(file, resolve(dirname(file), values.tls.certFile), resolve(dirname(file), values.tls.keyFile))
    : undefined;
  // The certificate and key are part of the source: a Secret update that only rotates them must
  // not look "unchanged".
  const hash = createHash('sha256').update(text);
  if (tls) hash.update('\0').update(tls.cert).update('\0').update(tls.key);
  return { source: file, checksum: hash.digest('hex'), values: runtimeValues(values), lookups: buildLookups(entries), ...(tls ? { tls } : {}) };
}

/** Reads the file and computes its parts. Throws LabError naming file, field and problem. */
export async function readParts(file: string): Promise<ConfigParts> {
  return partsFromText(file, await readText(file, '(file)', file));
}

/** Reads, parses, validates and freezes the config file in this thread. */
export async function loadConfig(file: string, version: number): Promise<Config> {
  return assemble(version, await readParts(file));
}
