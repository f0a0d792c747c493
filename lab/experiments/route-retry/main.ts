import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseOrExit } from '../../engine/args.js';
import { currentCommit, REPO_ROOT, stamp } from '../../engine/meta.js';
import { loadNow, machineLoad } from '../../engine/machine.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import { loadRouteRetry } from '../../targets/local/route-retry.js';
import { classify, count } from './classify.js';
import { parseRouteRetryArgs, ROUTE_RETRY_USAGE } from './options.js';
import { summaryMarkdown, VARIANT_TITLES, verdicts, writeResults, type RouteRetryRow, type RouteRetrySummary, type Variant } from './report.js';
import { LOAD_MS, runVariant } from './run.js';

// `npm run lab -- route-retry`: each arm rolled under load through the envoy-gateway L7 path, once with
// the plain HTTPRoute and once with its retry variant (k8s/rendered-l7/envoy-gateway{,-retry}.yaml).
// Exit 0 = every claim with data held; 1 = a run failed or a claim did not hold; 2 = bad option.

const say = (line: string) => process.stderr.write(`[route-retry] ${line}\n`);

const FILES: Record<Variant, string> = { none: 'k8s/rendered-l7/envoy-gateway.yaml', retry: 'k8s/rendered-l7/envoy-gateway-retry.yaml' };

export async function routeRetry(argv: string[]): Promise<number> {
  const o = parseOrExit(argv, ROUTE_RETRY_USAGE, () => parseRouteRetryArgs(argv));
  if (typeof o === 'number') return o;
  const retries = { none: loadRouteRetry(join(REPO_ROOT, FILES.none)), retry: loadRouteRetry(join(REPO_ROOT, FILES.retry)) };
  installSignalTeardown(say);
  const date = new Date();
  const loadBefore = loadNow();
  const command = `npm run lab -- route-retry ${argv.join(' ')}`.trim();
  const commit = currentCommit(); // at the start: a commit made while it runs is not its code
  const outDir = join(resolve(o.resultsDir ?? join(REPO_ROOT, 'results')), 'route-retry');
  const rows: RouteRetryRow[] = [];
  for (const arm of o.arms) {
    for (const variant of ['none', 'retry'] as const) {
      const runDir = join(REPO_ROOT, '.lab', 'runs', `${stamp(new Date())}-route-retry-${arm}-${variant}`);
      const t0 = Date.now();
      say(`${arm}, ${VARIANT_TITLES[variant]}: starting`);
      const run = await runVariant({ manifestFile: join(REPO_ROOT, 'k8s', 'rendered', `${arm}.yaml`), runDir, routeRetry: retries[variant], rate: o.rate, streams: o.streams, say: (s) => say(`${arm}, ${VARIANT_TITLES[variant]}: ${s} | ${((Date.now() - t0) / 1000).toFixed(0)} s`) });
      const maxTries = 1 + (retries[variant]?.retries ?? 0);
      const counts = count(run.outcomes.map((c) => classify(c, run.tries.get(c.id) ?? [], maxTries)));
      rows.push({ arm, variant, maxTries, rolloutMs: run.rolloutMs, dropped: run.dropped, counts });
      say(`${arm}, ${VARIANT_TITLES[variant]}: ${counts.requests} requests, ${counts.clientFailures} failed at the client, ${counts.retried} retried`);
    }
  }
  const summary: RouteRetrySummary = {
    experiment: 'route-retry', command, target: 'local', commit, date: date.toISOString(),
    params: {
      arms: o.arms, rate: o.rate, streams: o.streams, l7: 'envoy-gateway', loadMs: LOAD_MS,
      variants: { none: { file: FILES.none, retry: retries.none ?? null }, retry: { file: FILES.retry, retry: retries.retry ?? null } },
      machine: machineLoad(loadBefore),
    },
    rows,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const files = writeResults(outDir, summary);
  process.stdout.write(summaryMarkdown(summary));
  say(`written to ${relative(process.cwd(), outDir) || outDir}/{summary.json,${files.join(',')}}`);
  return verdicts(rows).every((x) => x.held !== false) ? 0 : 1;
}
