import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readPodLog, type PodLogLine } from '../../report/pod-log.js';
import type { HeldRequest } from './run.js';
import type { MachineLoad } from '../../engine/machine.js';

// The guardian table: per old service pod, what its guardian line said was still open, its exit code,
// and how long before the kubelet's SIGKILL it exited.

export interface GuardianRow {
  pod: string;
  exitCode: number | null;
  /** ms from SIGTERM to the app's guardian line and to the container's exit */
  guardianAtMs: number | null;
  exitAtMs: number | null;
  deadlineMs: number | null;
  openRequests: string[];
  openSockets: number | null;
  openDependencies: string[];
  sigkill: boolean;
  /** ms between the container's exit and the moment the grace period would have ended in SIGKILL */
  beforeSigkillMs: number | null;
  client: string;
}

const kubelet = (lines: PodLogLine[], what: string) => lines.find((l) => l.source === 'kubelet' && l.what === what);

export function guardianRow(podsDir: string, held: HeldRequest): GuardianRow {
  const file = join(podsDir, `${held.pod}.log`);
  const lines = existsSync(file) ? readPodLog(file) : [];
  const terminating = kubelet(lines, 'pod-terminating');
  const sigterm = kubelet(lines, 'sigterm');
  const exit = lines.filter((l) => l.source === 'kubelet' && l.what === 'pod-exit').at(-1);
  const g = lines.find((l) => l.source !== 'kubelet' && l.what === 'guardian-fired');
  const graceS = Number(terminating?.detail.match(/grace (\d+)s/)?.[1] ?? NaN);
  const rel = (l: PodLogLine | undefined) => (l && sigterm ? Math.round(l.t - sigterm.t) : null);
  const code = exit?.detail.match(/exitCode=(-?\d+)/)?.[1];
  const requests = (g?.fields.requests as Array<{ method: string; url: string; ageMs: number }> | undefined) ?? [];
  return {
    pod: held.pod,
    exitCode: code === undefined ? null : Number(code),
    guardianAtMs: rel(g),
    exitAtMs: rel(exit),
    deadlineMs: typeof g?.fields.deadlineMs === 'number' ? g.fields.deadlineMs : null,
    openRequests: requests.map((r) => `${r.method} ${r.url} (${r.ageMs} ms old)`),
    openSockets: typeof g?.fields.openSockets === 'number' ? g.fields.openSockets : null,
    openDependencies: (g?.fields.openDependencies as string[] | undefined) ?? [],
    sigkill: !!kubelet(lines, 'sigkill'),
    beforeSigkillMs: terminating && exit && Number.isFinite(graceS) ? Math.round(terminating.t + graceS * 1000 - exit.t) : null,
    client: held.status ? `HTTP ${held.status} after ${held.ms} ms` : `${held.error ?? 'no response'} after ${held.ms} ms`,
  };
}

export const EXIT_GUARDIAN = 70;

/** The claims the experiment makes, each checked against the rows. */
export function guardianVerdicts(rows: GuardianRow[]): Array<{ claim: string; held: boolean }> {
  return [
    { claim: `every old pod exited with the guardian's code ${EXIT_GUARDIAN}`, held: rows.length > 0 && rows.every((r) => r.exitCode === EXIT_GUARDIAN) },
    { claim: 'every guardian line names the /slow request that was still open', held: rows.length > 0 && rows.every((r) => r.openRequests.some((q) => q.includes('/slow'))) },
    { claim: 'no pod reached SIGKILL: each exited before its grace period ended', held: rows.length > 0 && rows.every((r) => !r.sigkill && (r.beforeSigkillMs ?? -1) > 0) },
  ];
}

const v = (n: number | null, unit = ' ms') => (n === null ? '—' : `${n}${unit}`);

export function guardianTable(rows: GuardianRow[]): string {
  const out = ['| pod | guardian fired (vs SIGTERM) | deadline | still open when it fired | exit code | exit (vs SIGTERM) | SIGKILL | exited before SIGKILL by | the held request saw |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const open = r.guardianAtMs === null ? 'the guardian did not fire' : [...r.openRequests, `${r.openSockets ?? '?'} sockets`, `deps: ${r.openDependencies.join(', ') || 'none'}`].join('; ');
    out.push(`| \`${r.pod}\` | ${r.guardianAtMs === null ? '—' : `+${r.guardianAtMs} ms`} | ${v(r.deadlineMs)} | ${open} | ${r.exitCode ?? '—'} | ${r.exitAtMs === null ? '—' : `+${r.exitAtMs} ms`} | ${r.sigkill ? 'yes' : 'no'} | ${v(r.beforeSigkillMs)} | ${r.client} |`);
  }
  return `${out.join('\n')}\n`;
}

export interface GuardianSummary {
  command: string;
  commit: string;
  date: string;
  params: { manifest: string; slowMs: number; machine: MachineLoad };
  verdicts: Array<{ claim: string; held: boolean }>;
  rows: GuardianRow[];
}

/** results/guardian/table.md from its summary.json alone, so `npm run lab -- report` can redraw it. */
export function guardianMarkdown(s: GuardianSummary): string {
  const m = s.params.machine;
  return [
    '# Guardian: a request outlives the shutdown deadline', '',
    `Made by \`${s.command}\` at commit ${s.commit} on ${s.date} (local target, ${s.params.manifest}; ${m.cores} cores, Node ${m.node}, 1-min load average ${m.loadavgBefore[0]} → ${m.loadavgAfter[0]}).`,
    `A rollout restart of the service; one GET /slow?ms=${s.params.slowMs} sent to each old pod's own address as it starts terminating (during its preStop sleep, so it is in flight at SIGTERM). The after arm's budget: preStop 3 s, then SIGTERM; the drain waits for the request; the guardian deadline (SHUTDOWN_DEADLINE_MS) forces exit 70; the grace period (10 s from termination) would end in SIGKILL.`, '',
    guardianTable(s.rows),
    ...s.verdicts.map((x) => `- ${x.held ? 'held' : '**did not hold**'}: ${x.claim}`), '',
    'Each pod\'s shutdown, line by line: [evidence.md](evidence.md).', '',
  ].join('\n');
}
