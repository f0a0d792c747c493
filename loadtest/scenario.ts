import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LabError } from '../common/errors.js';

// The one scenario (loadtest/scenario.json), typed and validated. The k6 script reads the same
// JSON, so a change of mix, rate or timeout applies to both targets at once.

/** Methods a mix entry may use: the scenario file uses GET and POST; `check` routes may use any of these. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface MixEntry {
  readonly name: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly weight: number;
  /** fixed request body (a user's route); absent on POST = the lab's own job payload */
  readonly body?: string;
  readonly contentType?: string;
  /** extra request headers (programmatic only, e.g. an `Idempotency-Key`; scenario.json has none) */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Phases {
  readonly warmupSeconds: number;
  readonly baselineSeconds: number;
  readonly deploys: number;
  readonly pauseBetweenDeploysSeconds: number;
  readonly cooldownSeconds: number;
}

export interface Scenario {
  readonly rate: number;
  readonly mix: readonly MixEntry[];
  readonly accounts: number;
  readonly keepAlive: boolean;
  readonly timeoutSeconds: number;
  readonly phases: Phases;
}

export const SCENARIO_FILE = fileURLToPath(new URL('../../loadtest/scenario.json', import.meta.url));

function bad(detail: string): never {
  throw new LabError('LAB_BAD_OPTION', `scenario: ${detail}`);
}

function posNum(v: unknown, name: string, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    bad(`${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Validates a parsed scenario object; throws LAB_BAD_OPTION naming the first wrong field. */
export function parseScenario(raw: unknown): Scenario {
  if (!raw || typeof raw !== 'object') bad('not an object');
  const o = raw as Record<string, any>;
  if (!Array.isArray(o.mix) || o.mix.length === 0) bad('mix must be a non-empty array');
  const mix: MixEntry[] = o.mix.map((m: any, i: number) => {
    if (typeof m?.name !== 'string' || typeof m?.path !== 'string' || !m.path.startsWith('/')) bad(`mix[${i}] needs a name and a path starting with /`);
    if (m.method !== 'GET' && m.method !== 'POST') bad(`mix[${i}].method must be GET or POST`);
    return { name: m.name, method: m.method, path: m.path, weight: posNum(m.weight, `mix[${i}].weight`) };
  });
  if (mix.every((m) => m.weight === 0)) bad('mix weights are all 0');
  const p = o.phases ?? bad('phases missing');
  return {
    rate: posNum(o.rate, 'rate'),
    mix,
    accounts: Math.max(1, posNum(o.accounts, 'accounts', true)),
    keepAlive: o.keepAlive !== false,
    timeoutSeconds: posNum(o.timeoutSeconds, 'timeoutSeconds'),
    phases: {
      warmupSeconds: posNum(p.warmupSeconds, 'phases.warmupSeconds'),
      baselineSeconds: posNum(p.baselineSeconds, 'phases.baselineSeconds'),
      deploys: posNum(p.deploys, 'phases.deploys', true),
      pauseBetweenDeploysSeconds: posNum(p.pauseBetweenDeploysSeconds, 'phases.pauseBetweenDeploysSeconds'),
      cooldownSeconds: posNum(p.cooldownSeconds, 'phases.cooldownSeconds'),
    },
  };
}

export function loadScenario(file = SCENARIO_FILE): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    bad(`cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    bad(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseScenario(json);
}
