import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isLabError } from '../../../common/errors.js';
import { parseOrExit } from '../../engine/args.js';
import { currentCommit, REPO_ROOT, stamp } from '../../engine/meta.js';
import { Progress } from '../../engine/progress.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import { makeCert } from '../reload-vs-restart/certs.js';
import { runArm, type ArmRun } from './arm.js';
import { buckets } from './buckets.js';
import { reconnectChart } from './chart.js';
import { checkFdLimit } from './fd-limit.js';
import { BASE_MANIFEST, patchManifest, readBase, shutdownTiming } from './manifest.js';
import { CLIENTS, parseReconnectArgs, RECONNECT_USAGE, type ReconnectArgs } from './options.js';
import { csvTable, markdownTable, seriesCsv, verdict } from './report.js';
import { armStats, type ArmStats } from './stats.js';
import { checkJitterOption, sizeJitterWindow, type WindowSizing } from './window.js';
import { writeup } from './writeup.js';

// `npm run lab -- reconnect`: N persistent keep-alive clients through the local target's L4 path,
// one rolling restart of the service per arm: every idle connection of a draining pod closed at the
// same instant (CLOSE_JITTER_MS=0) against the same closes spread over a window sized from the
// measured accept rate. Exit codes: 0 done, 1 run failed, 2 bad arguments or limits.

const say = (line: string) => process.stderr.write(`${line}\n`);
/** Planned length of one arm (cluster start, connect, warm-up, baseline, rollout, settle, cool-down). */
const PLANNED_ARM_MS = 110_000;

function validate(argv: string[]): { args: ReconnectArgs; base: string } | number {
  return parseOrExit(argv, RECONNECT_USAGE, () => {
    const args = parseReconnectArgs(argv);
    checkFdLimit(args.clients);
    const base = readBase(resolve(REPO_ROOT, BASE_MANIFEST));
    checkJitterOption(args.jitterMs, shutdownTiming(base));
    return { args, base };
  });
}

export async function reconnect(argv: string[]): Promise<number> {
  const v = validate(argv);
  if (typeof v === 'number') return v;
  const { args, base } = v;
  installSignalTeardown(say);
  const timing = shutdownTiming(base);
  const tls = args.variant.startsWith('https');
  const policy = args.variant.endsWith('-backoff') ? 'backoff' as const : 'immediate' as const;
  const date = new Date();
  const runId = `${stamp(date)}-reconnect-${args.variant}`;
  const loadBefore = loadavg();
  const commit = currentCommit(); // at the start: a commit made while it runs is not its code
  const certDir = mkdtempSync(join(tmpdir(), 'lab-reconnect-'));
  const cert = tls ? makeCert(certDir, 'service') : undefined;
  const progress = new Progress();
  const started = Date.now();
  let etaAt = started + 2 * PLANNED_ARM_MS;
  const common = { clients: args.clients, paceMs: args.paceMs, tls, policy, workDir: join(REPO_ROOT, '.lab', 'runs'), runId };
  say(`reconnect (${args.variant}): ${args.clients} clients × 1 GET /fast per ${args.paceMs} ms = ${Math.round((args.clients * 1000) / args.paceMs)} req/s; 2 arms, planned ~${Math.round((2 * PLANNED_ARM_MS) / 1000)} s`);
  try {
    const runs: ArmRun[] = [];
    const arm = async (name: 'synchronized' | 'jittered', closeJitterMs: number) => {
      const t0 = Date.now();
      const run = await runArm({
        ...common, name, closeJitterMs, manifestText: patchManifest(base, { closeJitterMs, ...(cert ? { tls: { cert: cert.cert, key: cert.key } } : {}) }),
        progress: (phase) => progress.update({ arm: `${args.variant} ${name}`, rep: runs.length + 1, reps: 2, phase, startedAt: started, etaAt }),
      });
      etaAt = Date.now() + (Date.now() - t0) * (1 - runs.length);
      runs.push(run);
      return run;
    };
    const sync = await arm('synchronized', 0);
    const sizing: WindowSizing = args.jitterMs !== undefined
      ? { ms: args.jitterMs, perPod: Math.ceil(args.clients / timing.replicas), acceptPerS: sync.establishment.perSecond, share: 0, formula: `--jitter-ms ${args.jitterMs} (given)` }
      : sizeJitterWindow(args.clients, timing, sync.establishment.perSecond);
    progress.log(`synchronized arm done; jitter window: ${sizing.formula}`);
    await arm('jittered', sizing.ms);
    progress.stop();
    return finish(args, runs, sizing, { date, runId, loadBefore, started, commit });
  } finally {
    progress.stop();
    rmSync(certDir, { recursive: true, force: true });
  }
}

function finish(args: ReconnectArgs, runs: ArmRun[], sizing: WindowSizing, m: { date: Date; runId: string; loadBefore: number[]; started: number; commit: string }): number {
  const stats: ArmStats[] = runs.map((r) => armStats(r, args.clients));
  const [sync, jit] = stats as [ArmStats, ArmStats];
  const v = verdict(sync, jit);
  // a non-default population gets its own folder, so it never overwrites the default run's results
  const folder = args.clients === CLIENTS.default ? args.variant : `${args.variant}-${args.clients}-clients`;
  const outDir = join(resolve(args.resultsDir ?? join(REPO_ROOT, 'results')), 'reconnect', folder);
  mkdirSync(outDir, { recursive: true });
  const spanMs = Math.max(...stats.map((s) => Math.max(s.rolloutMs, ...s.episodes.map((e) => e.startMs + e.reestablishMs)) + 3000));
  const series = runs.map((r) => ({ arm: r.name, buckets: buckets(r, -2000, spanMs) }));
  const meta = {
    command: ['node', relative(REPO_ROOT, process.argv[1] ?? 'dist/lab/cli.js'), ...process.argv.slice(2)].join(' '),
    target: 'local', commit: m.commit, date: m.date.toISOString(), node: process.version, cores: cpus().length,
    loadavgBefore: m.loadBefore, loadavgAfter: loadavg(), durationS: Math.round((Date.now() - m.started) / 1000),
    parameters: {
      variant: args.variant, clients: args.clients, paceMs: args.paceMs, totalRatePerS: Math.round((args.clients * 1000) / args.paceMs),
      manifest: `${BASE_MANIFEST} + CLOSE_JITTER_MS override${args.variant.startsWith('https') ? ' + HTTPS_PORT/tls' : ''}, worker Deployment left out`,
      jitterWindow: sizing,
    },
  };
  const notes = [...new Set(runs.flatMap((r) => r.notes))];
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify({ ...meta, verdict: v, arms: stats, establishment: runs.map((r) => ({ arm: r.name, ...r.establishment })), notes }, null, 2)}\n`);
  writeFileSync(join(outDir, 'table.md'), `${markdownTable(stats)}\n`);
  writeFileSync(join(outDir, 'table.csv'), csvTable(stats));
  writeFileSync(join(outDir, 'series.csv'), seriesCsv(series));
  const chart = reconnectChart(
    series.map((s, i) => ({ name: `${s.arm} (CLOSE_JITTER_MS=${runs[i]!.closeJitterMs})`, color: i === 0 ? '#d62728' : '#1f77b4', buckets: s.buckets, episodesMs: stats[i]!.episodes.map((e) => e.startMs) })),
    `Thundering reconnect: ${args.clients} keep-alive clients (${args.variant}), rolling restart with surge`,
    `local target, commit ${meta.commit.slice(0, 12)}, ${meta.date}; load average ${m.loadBefore.map((x) => x.toFixed(2)).join('/')} on ${meta.cores} cores`,
  );
  writeFileSync(join(outDir, 'chart.svg'), chart);
  writeFileSync(join(outDir, 'README.md'), writeup({ meta, stats, verdict: v, sizing, notes, table: markdownTable(stats) }));
  process.stdout.write(`${markdownTable(stats)}\n\npeak ratio ${v.peakRatio}×; ${v.syncSpikeDetail}\nwritten to ${outDir}/{README.md,summary.json,table.md,table.csv,series.csv,chart.svg}\n`);
  if (runs.some((r) => !r.settled)) { say('LAB_TIMEOUT: some clients were not connected again within the settle time; see notes in summary.json'); return 1; }
  return 0;
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  reconnect(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => { say(isLabError(err) ? err.message : `reconnect failed: ${(err as Error)?.stack ?? err}`); process.exit(1); },
  );
}
