import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isLabError } from '../../../common/errors.js';
import { parseOrExit } from '../../engine/args.js';
import { currentCommit, REPO_ROOT, stamp } from '../../engine/meta.js';
import { Progress } from '../../engine/progress.js';
import { installSignalTeardown } from '../../engine/teardown.js';
import { plannedArmMs, runArm, type ArmRun } from './arm.js';
import { LONG_LIVED_USAGE, parseLongLivedArgs, QUICK_DEREGISTRATION_S, type LongLivedArgs } from './options.js';
import { chartSvg, csvTable, markdownTable, type ArmStats } from './report.js';
import { streamPauses, streamStats, uploadStats } from './stats.js';

// `npm run lab -- long-lived`: SSE, WebSocket and upload clients through the ingress and L4 while
// the service rolls `deploys` times with a deregistration delay, per arm (before: no levers,
// after: every lever, preStop/grace/deadline sized from the delay). Exit 0 done, 1 failed, 2 bad arguments.

const say = (line: string) => process.stderr.write(`${line}\n`);
const load = () => loadavg().map((v) => Math.round(v * 100) / 100);

export function armStats(run: ArmRun, args: LongLivedArgs): ArmStats {
  const deadline = run.overrides.env.SHUTDOWN_DEADLINE_MS;
  return {
    arm: run.arm,
    deregistrationS: args.deregistrationS,
    preStopSleepSeconds: run.overrides.preStopSleepSeconds,
    terminationGracePeriodSeconds: run.overrides.terminationGracePeriodSeconds,
    shutdownDeadlineMs: run.arm === 'after' && deadline ? Number(deadline) : null,
    deploys: run.deploys.length,
    deployWallS: Math.round(((run.lastOldPodExitAt - (run.deploys[0]?.start ?? run.lastOldPodExitAt)) / 1000)),
    armWallS: Math.round((run.stopAt - run.startedAt) / 1000),
    sse: streamStats(run.streams.filter((r) => r.kind === 'sse'), run.truth, run.stopAt),
    ws: streamStats(run.streams.filter((r) => r.kind === 'ws'), run.truth, run.stopAt),
    uploads: uploadStats(run.uploads),
    sigkills: run.events.filter((e) => e.kind === 'sigkill').length,
  };
}

/** Per client, without the id lists: what the table sums, plus why streams ended (for reading a surprise). */
function clientDetail(runs: ArmRun[]) {
  const uploads = Object.fromEntries(runs.map((r) => [r.arm, r.uploads.filter((u) => u.outcome !== 'completed' || u.retry !== undefined)
    .map((u) => ({ ...u, startS: (u.start - r.startedAt) / 1000, endS: (u.end - r.startedAt) / 1000 }))]));
  return { uploadsNotCompleted: uploads, streams: Object.fromEntries(runs.map((r) => [r.arm, r.streams.map((c) => {
    const s = streamStats([c], r.truth, r.stopAt);
    return { kind: c.kind, path: c.path, received: c.ids.length, lost: s.lost, duplicated: s.duplicated, opens: c.opens, clean: c.clean, cut: c.cut, failedAttempts: c.failedAttempts, freshRestarts: c.freshRestarts, errors: c.errors, maxGapMs: s.gapMaxMs, gaps: c.gaps.map((g) => ({ atS: (g.at - r.startedAt) / 1000, ms: g.ms })), firstS: ((c.ids[0] ?? 0) / 1000 - r.startedAt) / 1000, lastS: ((c.ids.at(-1) ?? 0) / 1000 - r.startedAt) / 1000, stopS: (r.stopAt - r.startedAt) / 1000,
      idJumps: streamPauses({ ids: c.ids, at: [] }, 200).map((p) => ({ ...p, streamHas: r.truth.ids.filter((id) => id > p.from * 1000 && id < (p.from + p.ms) * 1000).length })) };
  })])) };
}

/** The acceptance for the `after` arm: nothing lost, nothing duplicated, no upload cut mid-body, ≥ 3 deploys. */
export function verdict(s: ArmStats) {
  return {
    zeroLost: s.sse.lost + s.ws.lost === 0,
    zeroDuplicated: s.sse.duplicated + s.ws.duplicated === 0,
    zeroUploadsCutMidBody: s.uploads.cutMidBody === 0,
    atLeastThreeDeploys: s.deploys >= 3,
  };
}

export async function longLived(argv: string[]): Promise<number> {
  const args = parseOrExit(argv, LONG_LIVED_USAGE, () => parseLongLivedArgs(argv));
  if (typeof args === 'number') return args;
  installSignalTeardown(say);
  const date = new Date();
  const runId = `${stamp(date)}-long-lived`;
  const outDir = join(resolve(args.resultsDir ?? join(REPO_ROOT, 'results')), 'long-lived', `dereg-${args.deregistrationS}s`);
  const command = ['node', relative(REPO_ROOT, process.argv[1] ?? 'dist/lab/cli.js'), ...process.argv.slice(2)].join(' ');
  const commit = currentCommit();
  if (commit.endsWith('-dirty')) say('WARNING: the working tree has uncommitted code changes; results/ should come from a committed run');
  const loadBefore = load();
  const planned = args.arms.map((a) => plannedArmMs(a, args));
  say(`${command}: arms ${args.arms.join(', ')}, deregistration ${args.deregistrationS} s${args.deregistrationS === QUICK_DEREGISTRATION_S ? ' (the scaled-down quick default)' : ''}, ${args.deploys} deploys, `
    + `${args.sseClients} SSE + ${args.wsClients} WS clients, an upload every ${args.uploadEveryMs} ms; planned ~${Math.round(planned.reduce((a, b) => a + b, 0) / 6000) / 10} min; load ${loadBefore.join(' ')} on ${cpus().length} cores`);
  const progress = new Progress();
  const runs: ArmRun[] = [];
  try {
    for (const [i, arm] of args.arms.entries()) {
      const t0 = Date.now();
      const rest = planned.slice(i + 1).reduce((a, b) => a + b, 0);
      runs.push(await runArm({ arm, args, workDir: join(REPO_ROOT, '.lab', 'runs'), runId, progress, plannedEndAt: () => Math.max(Date.now(), t0 + planned[i]!) + rest }));
    }
  } catch (err) {
    progress.stop();
    say(isLabError(err) ? err.message : `long-lived failed: ${(err as Error).stack ?? err}`);
    return 1;
  }
  progress.stop();
  const stats = runs.map((r) => armStats(r, args));
  const after = stats.find((s) => s.arm === 'after');
  const meta = {
    command, target: 'local', commit, date: date.toISOString(), node: process.version, cores: cpus().length,
    loadavgBefore: loadBefore, loadavgAfter: load(),
    parameters: { ...args, help: undefined, resultsDir: undefined, scaledDown: args.deregistrationS < 300, eventsIntervalMs: 200, nextDeployWhen: 'previous rollout complete (all new pods available); old pods drain concurrently' },
  };
  const notes = [...new Set(runs.flatMap((r) => r.notes))];
  const pauses = Object.fromEntries(runs.map((r) => [r.arm, streamPauses(r.truth, 200)]));
  const summary = { ...meta, verdict: after ? verdict(after) : null, arms: stats, streamPauses: pauses, overrides: Object.fromEntries(runs.map((r) => [r.arm, r.overrides])), notes };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const md = [
    `# Long-lived connections across rolling deploys, deregistration ${args.deregistrationS} s`,
    '',
    `Generated by \`${command}\` on ${meta.date}, target local, commit ${commit}, Node ${meta.node}, ${meta.cores} cores, load average ${meta.loadavgBefore.join(' ')} before / ${meta.loadavgAfter.join(' ')} after (other engineers' runs share this machine).`,
    `${args.sseClients} SSE clients (eventsource ${'v4'}), ${args.wsClients} WebSocket clients and an upload of ${args.uploadBytes} bytes every ${args.uploadEveryMs} ms (read at ${args.uploadBytesPerS} B/s), half through the ingress and half L4; ${args.deploys} rolling restarts of the service, each started once the previous one was complete (all new pods available) so old pods drain concurrently.${args.deregistrationS < 300 ? ' The deregistration delay is scaled down (quick run).' : ''}`,
    '',
    markdownTable(stats),
    '',
    after ? `Acceptance (after): ${JSON.stringify(verdict(after))}` : '',
    '',
    ...notes.map((n) => `- note: ${n}`),
    '',
  ].join('\n');
  writeFileSync(join(outDir, 'table.md'), md);
  writeFileSync(join(outDir, 'table.csv'), csvTable(stats));
  writeFileSync(join(outDir, 'clients.json'), `${JSON.stringify(clientDetail(runs), null, 1)}\n`);
  writeFileSync(join(outDir, 'chart.svg'), chartSvg(runs, `long-lived · deregistration ${args.deregistrationS} s · ${meta.date} · ${commit.slice(0, 12)}`));
  process.stdout.write(`${md}\n`);
  say(`written: ${['summary.json', 'table.md', 'table.csv', 'chart.svg', 'clients.json'].map((f) => join(outDir, f)).join(', ')}`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  longLived(process.argv.slice(2)).then((code) => process.exit(code), () => process.exit(1));
}
