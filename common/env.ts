import { LabError } from './errors.js';

type Env = Record<string, string | undefined>;

/** An integer env var within [min, max]; a clear LAB_BAD_ENV error names the variable otherwise. */
export function envInt(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new LabError('LAB_BAD_ENV', `${name}="${raw}" is not an integer (expected ${min}..${max})`);
  }
  const n = Number(raw);
  if (n < min || n > max) throw new LabError('LAB_BAD_ENV', `${name}=${n} is out of range ${min}..${max}`);
  return n;
}

export function envString(env: Env, name: string, def: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? def : raw.trim();
}

/** A redis:// URL; rejects anything else before a connection is attempted. */
export function envRedisUrl(env: Env, name = 'REDIS_URL', def = 'redis://127.0.0.1:6379'): string {
  const raw = envString(env, name, def);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LabError('LAB_BAD_ENV', `${name}="${raw}" is not a URL (expected redis://host:port)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new LabError('LAB_BAD_ENV', `${name}="${raw}" must use redis:// or rediss://`);
  }
  return raw;
}

/** A Redis URL as it may appear in logs: the password masked (an unparseable one is not echoed at all). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
