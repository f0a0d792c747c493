import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LabError } from '../../../common/errors.js';
import type { MixEntry } from '../../../loadtest/scenario.js';
import { parseRoute, ROUTE_USAGE } from './routes.js';

// The command line of `check`. Two modes: local (the user's manifests run as processes) and
// cluster (an existing Deployment behind a kubeconfig context). Everything is validated here,
// before anything is started.

export const CHECK_USAGE = `check --manifests <file|dir> --app-dir <dir> [--deployment D] [--route ${ROUTE_USAGE}]… [--rate R] [--deploys N] [--env K=V]… [--max-failed N] [--propagation-delay-ms MS] [--out DIR]
check --context C --namespace N --deployment D --url <in-cluster URL> --yes [--manifests <file|dir>] [--route …]… [--rate R] [--deploys N] [--max-failed N] [--dry-run] [--out DIR]`;

export const CHECK_MODES = { Local: 'local', Cluster: 'cluster' } as const;
export type CheckMode = (typeof CHECK_MODES)[keyof typeof CHECK_MODES];

export interface CheckOptions {
  mode: CheckMode;
  manifests?: string;
  appDir?: string;
  deployment?: string;
  routes: MixEntry[];
  rate: number;
  deploys: number;
  env: Record<string, string>;
  maxFailed?: number;
  propagationDelayMs?: number;
  out?: string;
  context?: string;
  namespace?: string;
  url?: string;
  yes: boolean;
  dryRun: boolean;
}

const INTS: Record<string, ['rate' | 'deploys' | 'maxFailed' | 'propagationDelayMs', number, number]> = {
  '--rate': ['rate', 1, 2000],
  '--deploys': ['deploys', 1, 10],
  '--max-failed': ['maxFailed', 0, 1_000_000],
  '--propagation-delay-ms': ['propagationDelayMs', 0, 60_000],
};
const STRINGS = ['--manifests', '--app-dir', '--deployment', '--out', '--context', '--namespace', '--url'] as const;
const FLAGS = ['--yes', '--dry-run'] as const;
const bad = (detail: string): never => { throw new LabError('LAB_BAD_OPTION', `${detail}\nusage:\n${CHECK_USAGE}`); };

function pathThatExists(flag: string, value: string, cwd: string, dir: boolean): string {
  const p = resolve(cwd, value);
  if (!existsSync(p)) bad(`${flag} ${value}: no such ${dir ? 'directory' : 'file or directory'}`);
  if (dir && !statSync(p).isDirectory()) bad(`${flag} ${value}: not a directory`);
  return p;
}

function envPair(v: string): [string, string] {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
  if (!m) bad(`--env ${v}: expected NAME=value`);
  return [m![1]!, m![2]!];
}

/** Parses argv (after `check`); `cwd` resolves relative paths. Throws LAB_BAD_OPTION / LAB_BAD_ROUTE / LAB_NOT_CONFIRMED. */
export function parseCheckOptions(argv: string[], cwd = process.cwd()): CheckOptions {
  const o: CheckOptions = { mode: CHECK_MODES.Local, routes: [], rate: 50, deploys: 2, env: {}, yes: false, dryRun: false };
  const str: Partial<Record<(typeof STRINGS)[number], string>> = {};
  const routeSpecs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if ((FLAGS as readonly string[]).includes(flag)) {
      if (inline !== undefined) bad(`${flag} takes no value`);
      if (flag === '--yes') o.yes = true; else o.dryRun = true;
      continue;
    }
    const known = flag in INTS || (STRINGS as readonly string[]).includes(flag) || flag === '--route' || flag === '--env';
    if (!known) bad(`unknown option "${argv[i]}"`);
    const value = inline ?? argv[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) bad(`${flag} needs a value`);
    if (inline === undefined) i++;
    if (flag === '--route') routeSpecs.push(value!);
    else if (flag === '--env') { const [k, v] = envPair(value!); o.env[k] = v; }
    else if (flag in INTS) {
      const [key, min, max] = INTS[flag]!;
      if (!/^\d+$/.test(value!) || Number(value) < min || Number(value) > max) bad(`${flag}=${value} must be an integer ${min}..${max}`);
      o[key] = Number(value);
    } else str[flag as (typeof STRINGS)[number]] = value!;
  }
  o.mode = str['--context'] !== undefined ? CHECK_MODES.Cluster : CHECK_MODES.Local;
  o.deployment = str['--deployment'];
  o.out = str['--out'] === undefined ? undefined : resolve(cwd, str['--out']);
  if (str['--manifests'] !== undefined) o.manifests = pathThatExists('--manifests', str['--manifests'], cwd, false);
  if (o.mode === CHECK_MODES.Local) {
    for (const f of ['--namespace', '--url'] as const) if (str[f] !== undefined) bad(`${f} is for the cluster mode (give --context too)`);
    if (o.manifests === undefined) bad('--manifests is required (or --context for an existing cluster)');
    if (str['--app-dir'] === undefined) bad('--app-dir is required: the directory that stands for the image\'s workingDir');
    o.appDir = pathThatExists('--app-dir', str['--app-dir']!, cwd, true);
  } else {
    if (str['--app-dir'] !== undefined) bad('--app-dir is for the local mode: on a cluster the image is what runs');
    if (Object.keys(o.env).length > 0) bad('--env is for the local mode: on a cluster the Deployment keeps its own environment');
    o.context = str['--context'];
    o.namespace = str['--namespace'] ?? bad('--namespace is required with --context');
    if (o.deployment === undefined) bad('--deployment is required with --context');
    o.url = str['--url'] ?? bad('--url is required with --context: the in-cluster URL the k6 Job calls, e.g. http://my-svc.my-ns:8080');
    try { new URL(o.url!); } catch { bad(`--url ${o.url}: not a URL`); }
    if (!/^https?:$/.test(new URL(o.url!).protocol)) bad(`--url ${o.url}: http or https only`);
    if (!o.yes && !o.dryRun) {
      throw new LabError('LAB_NOT_CONFIRMED', `check restarts Deployment ${o.namespace}/${o.deployment} in context ${o.context} ${o.deploys} time(s); add --yes to go ahead, or --dry-run to print every API call instead`);
    }
  }
  o.routes = (routeSpecs.length ? routeSpecs : ['GET:/']).map((r) => parseRoute(r, cwd));
  return o;
}
