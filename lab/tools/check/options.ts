import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LabError } from '../../../common/errors.js';
import type { MixEntry } from '../../../loadtest/scenario.js';
import { parseOptions, usage } from '../../engine/args.js';
import { parseRoute } from './routes.js';
import { POD_NETWORK_CHOICES, type PodNetworkChoice } from '../../targets/local/pod-network.js';

// The command line of `check`. Two modes: local (the user's manifests run as processes) and
// cluster (an existing Deployment behind a kubeconfig context). Everything is validated here,
// before anything is started.

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
  maxFailed: number;
  propagationDelayMs?: number;
  podNetwork: PodNetworkChoice;
  allowRootPods: boolean;
  out?: string;
  context?: string;
  namespace?: string;
  url?: string;
  yes: boolean;
  dryRun: boolean;
}

export const CHECK_OPTIONS = {
  manifests: { type: 'string', arg: 'FILE|DIR', help: 'the Deployment(s), Service(s), Ingress/HTTPRoute to run (local) or to review (cluster)' },
  'app-dir': { type: 'string', arg: 'DIR', help: "local: the directory that stands for the image's workingDir" },
  deployment: { type: 'string', arg: 'D', help: 'the Deployment to roll (required with several, and with --context)' },
  route: { type: 'repeat', arg: 'METHOD:/path[@body][*weight]', help: `a route to load, e.g. GET:/health or POST:/orders@order.json*3 (default GET:/)` },
  rate: { type: 'int', min: 1, max: 2000, default: 50, arg: 'R', help: 'open-model arrivals per second' },
  deploys: { type: 'int', min: 1, max: 10, default: 2, help: 'rollout restarts' },
  env: { type: 'repeat', arg: 'K=V', help: 'local: environment override for the Deployment (e.g. a dependency you started)' },
  'max-failed': { type: 'int', min: 0, max: 1_000_000, default: 0, help: 'the gate (a check is one): exit 1 (FAIL) when more requests than this fail during the rollouts' },
  'propagation-delay-ms': { type: 'int', min: 0, max: 60_000, arg: 'D', help: "local: endpoint propagation delay (default the local target's)" },
  'pod-network': { type: 'choice', choices: POD_NETWORK_CHOICES, help: 'local: netns gives each pod its own network namespace (root or CAP_NET_ADMIN), so apps may bind 0.0.0.0; loopback gives each its own 127.x.y.z, which the app must bind (HOST); auto (default): netns where allowed' },
  'allow-root-pods': { type: 'flag', help: "local: pods without securityContext.runAsUser run as root (default: the sudo user, else nobody; runAsUser: 0 in the manifest also runs as root)" },
  out: { type: 'string', arg: 'DIR', help: 'results directory (default results/check/<deployment>)' },
  context: { type: 'string', arg: 'C', help: 'cluster mode: the kubeconfig context' },
  namespace: { type: 'string', arg: 'N', help: "cluster mode: the Deployment's namespace" },
  url: { type: 'string', arg: 'URL', help: 'cluster mode: the in-cluster URL the k6 Job calls, e.g. http://orders.shop:8080' },
  yes: { type: 'flag', help: 'cluster mode: really restart the Deployment' },
  'dry-run': { type: 'flag', help: 'cluster mode: print every API call, change nothing' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export const CHECK_USAGE = usage(`usage: npm run lab -- check --manifests <file|dir> --app-dir <dir> [options]          (local)
       npm run lab -- check --context C --namespace N --deployment D --url URL --yes [options]  (any cluster)`, CHECK_OPTIONS)
  + '\nexit codes: 0 PASS, 1 FAIL (more than --max-failed requests failed, or the run itself failed), 2 bad input (nothing started),'
  + '\n            3 INCONCLUSIVE (the records do not cover what was sent: missing, truncated or malformed, k6 failed, load not as planned)';

const bad = (detail: string): never => { throw new LabError('LAB_BAD_OPTION', detail); };

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
  const v = parseOptions(CHECK_OPTIONS, argv).values;
  const o: CheckOptions = {
    mode: v.context !== undefined ? CHECK_MODES.Cluster : CHECK_MODES.Local, routes: [], rate: v.rate, deploys: v.deploys,
    env: Object.fromEntries(v.env.map(envPair)), yes: v.yes, dryRun: v.dryRun, deployment: v.deployment,
    maxFailed: v.maxFailed, propagationDelayMs: v.propagationDelayMs, podNetwork: v.podNetwork ?? 'auto', allowRootPods: v.allowRootPods, out: v.out === undefined ? undefined : resolve(cwd, v.out),
  };
  if (v.manifests !== undefined) o.manifests = pathThatExists('--manifests', v.manifests, cwd, false);
  if (o.mode === CHECK_MODES.Local) {
    for (const [f, x] of [['--namespace', v.namespace], ['--url', v.url]] as const) if (x !== undefined) bad(`${f} is for the cluster mode (give --context too)`);
    if (o.manifests === undefined) bad('--manifests is required (or --context for an existing cluster)');
    if (v.appDir === undefined) bad("--app-dir is required: the directory that stands for the image's workingDir");
    o.appDir = pathThatExists('--app-dir', v.appDir!, cwd, true);
  } else {
    if (v.appDir !== undefined) bad('--app-dir is for the local mode: on a cluster the image is what runs');
    if (v.env.length > 0) bad('--env is for the local mode: on a cluster the Deployment keeps its own environment');
    if (v.podNetwork !== undefined) bad('--pod-network is for the local mode: on a cluster the CNI wires the pods');
    if (v.allowRootPods) bad('--allow-root-pods is for the local mode: on a cluster the pod runs as its securityContext says');
    o.context = v.context;
    o.namespace = v.namespace ?? bad('--namespace is required with --context');
    if (o.deployment === undefined) bad('--deployment is required with --context');
    o.url = v.url ?? bad('--url is required with --context: the in-cluster URL the k6 Job calls, e.g. http://my-svc.my-ns:8080');
    let u: URL | undefined;
    try { u = new URL(o.url!); } catch { bad(`--url ${o.url}: not a URL`); }
    if (!/^https?:$/.test(u!.protocol)) bad(`--url ${o.url}: http or https only`);
    if (!o.yes && !o.dryRun) {
      throw new LabError('LAB_NOT_CONFIRMED', `check restarts Deployment ${o.namespace}/${o.deployment} in context ${o.context} ${o.deploys} time(s); add --yes to go ahead, or --dry-run to print every API call instead`);
    }
  }
  o.routes = (v.route.length ? v.route : ['GET:/']).map((r) => parseRoute(r, cwd));
  return o;
}
