import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { LabError } from '../../../common/errors.js';
import { HTTP_METHODS, type HttpMethod, type MixEntry } from '../../../loadtest/scenario.js';

// `--route METHOD:/path[@body-file][*weight]` → one entry of the open-model generator's mix.
// The body is read once here, so a missing file fails before anything starts.

const ROUTE_RE = /^([A-Za-z]+):(\/[^@*\s]*)(?:@([^*]+))?(?:\*(\d+(?:\.\d+)?))?$/;
export const ROUTE_USAGE = 'METHOD:/path[@body-file][*weight], e.g. GET:/health or POST:/orders@order.json*3';
const MAX_BODY_BYTES = 1024 * 1024;

function contentTypeFor(file: string): string {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'application/json';
  if (ext === '.xml') return 'application/xml';
  if (ext === '.txt') return 'text/plain';
  return 'application/octet-stream';
}

/** Parses one --route; `cwd` resolves a relative body file. Throws LAB_BAD_ROUTE naming the problem. */
export function parseRoute(spec: string, cwd: string): MixEntry {
  const m = ROUTE_RE.exec(spec.trim());
  if (!m) throw new LabError('LAB_BAD_ROUTE', `"${spec}" is not ${ROUTE_USAGE}`);
  const method = m[1]!.toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    throw new LabError('LAB_BAD_ROUTE', `"${spec}": method ${m[1]} is not one of ${HTTP_METHODS.join(', ')}`);
  }
  const weight = m[4] === undefined ? 1 : Number(m[4]);
  if (!(weight > 0) || weight > 1000) throw new LabError('LAB_BAD_ROUTE', `"${spec}": weight must be > 0 and <= 1000`);
  const entry: { name: string; method: HttpMethod; path: string; weight: number; body?: string; contentType?: string } = {
    name: `${method} ${m[2]}`, method: method as HttpMethod, path: m[2]!, weight,
  };
  if (m[3] !== undefined) {
    const file = resolve(cwd, m[3]);
    let body: Buffer;
    try { body = readFileSync(file); } catch (e) {
      throw new LabError('LAB_BAD_ROUTE', `"${spec}": body file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (body.length > MAX_BODY_BYTES) throw new LabError('LAB_BAD_ROUTE', `"${spec}": body file ${file} is over 1 MiB`);
    entry.body = body.toString('utf8');
    entry.contentType = contentTypeFor(file);
  } else if (method !== 'GET' && method !== 'HEAD') {
    entry.body = ''; // an empty body, never the lab's own job payload
  }
  return entry;
}
