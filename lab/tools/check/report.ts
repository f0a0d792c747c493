import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRunArtifacts } from '../../engine/artifacts.js';
import type { RunSummary } from '../../engine/schema.js';
import type { KeepAliveRaces, RaceCounts } from '../../targets/local/keepalive-race.js';
import { failures } from '../../report/summarize.js';
import { METRICS } from '../../report/tables.js';
import type { DoctorResult } from './doctor-adapter.js';
import type { Measurement } from './measurement.js';
import { VERDICTS, type VerdictKind } from './verdicts.js';

// What `check` leaves behind: the lab's run artifacts (requests, timeline, summary, chart), a
// table, an evidence file that ties the measured failures to doctor's findings, and the verdict.

export interface Machine { node: string; cores: number; loadavgBefore: number[]; loadavgAfter: number[] }


export interface Verdict { kind: VerdictKind; failedInWindow: number; maxFailed: number; pass: boolean; reasons: string[]; line: string }

/**
 * PASS only on data that covers what was sent (s.coverage). On partial data the failures counted are
 * a lower bound: above --max-failed that is still a FAIL; otherwise nothing can be said: INCONCLUSIVE.
 */
export function verdictOf(s: RunSummary, maxFailed: number): Verdict {
  const failed = failures(s.windowCounts);
  const reasons = s.coverage ? s.coverage.reasons : ['the run recorded no coverage of what it sent'];
  // keep-alive races stay in the count (the client lost those requests too), named apart: their fix is another one
  const races = (s.params?.keepAliveRaces as KeepAliveRaces | undefined)?.window.answered ?? 0;
  const counted = `${failed} request(s) failed during the rollouts${races ? ` (${races} of them keep-alive races, ${failed - races} the rollout's)` : ''} (--max-failed ${maxFailed})`;
  const v = (kind: VerdictKind, line: string): Verdict => ({ kind, failedInWindow: failed, maxFailed, pass: kind === VERDICTS.Pass, reasons, line: `VERDICT: ${kind}: ${line}` });
  if (failed > maxFailed) return v(VERDICTS.Fail, reasons.length ? `${counted}, at least: the data is partial (${reasons.join('; ')})` : counted);
  if (reasons.length) return v(VERDICTS.Inconclusive, `${reasons.join('; ')} — ${counted} in what was recorded`);
  return v(VERDICTS.Pass, counted);
}

/** The lab's metrics without the job-ledger rows (check has no ledger), plus the routing numbers. */
export function markdownTable(s: RunSummary, m: Measurement): string {
  // NaN: a lab-only measurement (the serving probe, routed deregistration) that check does not take
  const rows = METRICS.filter((x) => !x.key.startsWith('jobs_') && !Number.isNaN(x.get(s))).map((x) => `| ${x.header} | ${x.fmt(x.get(s))} |`);
  const dereg = s.params.deregistrationMedianMs as number | null;
  const views = m.timeline.readySamples.filter((r) => r.t >= s.window.start && r.t <= s.window.end).map((r) => r.ready[`${m.service} (routing view)`]).filter((v): v is number => v !== undefined);
  if (views.length) rows.push(`| min endpoints in routing view | ${Math.min(...views)} |`);
  rows.push(`| deregistration delay (median) | ${dereg === null ? 'n/a' : `${dereg} ms${m.target === 'local' ? ' (local: the modeled propagation delay)' : ''}`} |`);
  if (m.podNetwork) rows.push(`| pod network | ${m.podNetwork === 'netns' ? 'netns (a network namespace per pod, as on a cluster)' : 'loopback (a 127.x.y.z per pod, bound through HOST)'} |`);
  rows.push(...raceRows(s.params.keepAliveRaces as KeepAliveRaces | undefined, failures(s.windowCounts)));
  rows.push(`| dropped iterations (generator could not keep up) | ${s.droppedIterations} |`);
  const c = s.coverage;
  if (c) rows.push(`| requests planned / counted by the generator / recorded | ${c.planned} / ${c.counted} / ${c.recorded}${c.complete ? '' : ' (partial data)'} |`);
  const clock = s.params.k6ClockOffsetMs as { ms: number; uncertaintyMs: number } | undefined;
  if (clock) rows.push(`| k6 node clock − lab clock | ${clock.ms} ± ${clock.uncertaintyMs} ms |`);
  return [`| Deployment/${m.deployment} (${m.target}) | value |`, '|---|---|', ...rows].join('\n');
}

/** The keep-alive race, counted apart from the rollout's failures (local mode, through the Ingress). */
function raceRows(k: KeepAliveRaces | undefined, failedInWindow: number): string[] {
  if (!k) return [];
  if (k.closeMs === undefined) return ['| keep-alive races | none counted: the app closed no idle connection within the probe\'s wait |'];
  const r = (c: RaceCounts) => `${c.races} (${c.answered} answered 502 to the client, ${c.retried} retried by the proxy) of ${c.failedTries} failed upstream tries`;
  return [
    `| keep-alive races: failed tries on a reused upstream connection idle ${(k.closeMs / 1000).toFixed(1)} ± ${k.toleranceMs / 1000} s (the app's measured idle close), whole run | ${r(k.run)} |`,
    `| keep-alive races in the deploy window | ${r(k.window)} |`,
    `| failed during the rollouts, without the keep-alive races | ${failedInWindow - k.window.answered} |`,
  ];
}

function failureSample(m: Measurement, limit = 50) {
  return m.records.filter((r) => r.class !== 'ok').slice(0, limit)
    .map((r) => ({ t_sched: Math.round(r.t_sched), ms: Math.round(r.t_end - r.t_sched), route: r.route, via: r.path, status: r.status, class: r.class, errorCode: r.errorCode }));
}

export function doctorSection(d: DoctorResult): string {
  if (!d.available) return `## doctor\n\n${d.text}\n`;
  if (d.findings.length === 0) return '## doctor\n\nno findings for these manifests.\n';
  const rows = d.findings.map((f) => `| ${f.severity} | ${f.lever} | ${f.object} | \`${f.path}\` | ${f.why} | ${f.fix} |`);
  return ['## doctor (static review of the same manifests)', '', '| severity | lever | object | field | why | fix |', '|---|---|---|---|---|---|', ...rows, ''].join('\n');
}

export async function writeCheckResults(dir: string, x: { summary: RunSummary; m: Measurement; doctor: DoctorResult; verdict: Verdict; machine: Machine }): Promise<string> {
  const { summary: s, m } = x;
  await writeRunArtifacts(dir, m.records, m.timeline, s);
  const table = markdownTable(s, m);
  const text = [
    `# check: Deployment/${m.deployment}`, '',
    `\`${s.command}\` · target ${s.target} · commit ${s.commit} · ${s.date} · node ${x.machine.node} · ${x.machine.cores} cores · loadavg ${x.machine.loadavgBefore.map((n) => n.toFixed(2)).join(' ')} before, ${x.machine.loadavgAfter.map((n) => n.toFixed(2)).join(' ')} after`, '',
    `${s.params.rate} req/s open-model load (${(s.params.mix as string[]).join(', ')}) via ${m.paths.join(' + ')}; ${s.params.deploys} rollout restart(s). The deploy window runs from the first rollout event to the last old pod gone; a request counts in it if its life overlaps it.`, '',
    table, '', `**${x.verdict.line}**`, '', doctorSection(x.doctor),
    '## notes', '', ...s.notes.map((n) => `- ${n}`), '',
    'Files: `summary.json` (the lab\'s RunSummary), `evidence.json` (failures, rollout events, doctor findings), `events.json`, `requests.jsonl.gz`, `timeline.svg`.', '',
  ].join('\n');
  writeFileSync(join(dir, 'table.md'), text);
  const rollout = m.timeline.events.filter((e) => ['rollout-start', 'rollout-done', 'pod-ready', 'pod-terminating', 'sigterm', 'sigkill', 'pod-exit', 'view-removed', 'view-added', 'prestop-done'].includes(e.kind) && (e.deployment === m.deployment || e.kind.startsWith('view') || e.kind.startsWith('rollout')));
  writeFileSync(join(dir, 'evidence.json'), `${JSON.stringify({
    command: s.command, target: s.target, commit: s.commit, date: s.date, machine: x.machine, params: s.params,
    verdict: x.verdict, windowCounts: s.windowCounts, failures: failureSample(m), rolloutEvents: rollout,
    doctor: { available: x.doctor.available, findings: x.doctor.findings, text: x.doctor.text }, notes: s.notes,
  }, null, 1)}\n`);
  return text;
}
