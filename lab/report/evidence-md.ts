import type { EvidenceStep, PodEvidence, RunEvidence } from './evidence.js';

// evidence.md of one run: the shutdown of every pod the rollouts terminated, step by step and as
// quoted log lines, with time relative to the pod's SIGTERM.

export interface EvidenceHeader {
  run: string;
  arm: string;
  levers: string[];
  command: string;
  commit: string;
  date: string;
  /** where the full pod logs were (not committed) */
  podLogs: string;
}

const at = (n: number | null) => (n === null ? '—' : `${n >= 0 ? '+' : '−'}${Math.abs(n)} ms`);
const cell = (s: string) => s.replace(/\|/g, '\\|');

export function stepTable(steps: readonly EvidenceStep[]): string[] {
  return ['| step | at (vs SIGTERM) | detail |', '|---|---|---|', ...steps.map((s) => `| ${s.step} | ${at(s.at)} | ${cell(s.detail)} |`)];
}

function podSection(p: PodEvidence): string[] {
  const out = [`## ${p.role} pod \`${p.pod}\``, '', `**${p.verdict}.**`, '', ...stepTable(p.steps), '', 'Log lines in order (kubelet = what the local target\'s kubelet did; the rest is the app\'s own JSON log):', '', '```'];
  for (const l of p.lines) out.push(`${at(l.at).padStart(11)}  ${l.source.padEnd(7)} ${l.what}${l.detail ? ` ${l.detail}` : ''}`);
  if (p.omittedLines) out.push(`… ${p.omittedLines} more lifecycle lines in the pod log`);
  out.push('```', '');
  return out;
}

function startSection(e: RunEvidence): string[] {
  if (e.started.length === 0) return [];
  const out = ['## Pods the rollouts started: Ready against listening', '',
    'Ms from container start. A pod Ready before it listens gets traffic it cannot take (refused on L4, 502 through the ingress): that is what a missing readiness probe does.', '',
    '| pod | Ready at | listening at | Ready before listening by |', '|---|---|---|---|'];
  for (const s of e.started) {
    const gap = s.readyMs !== null && s.listeningMs !== null ? s.listeningMs - s.readyMs : null;
    out.push(`| \`${s.pod}\` | ${s.readyMs ?? '—'} | ${s.listeningMs ?? '—'} | ${gap === null ? '—' : gap > 0 ? `**${gap} ms**` : 'no (Ready after listening)'} |`);
  }
  return [...out, ''];
}

export function evidenceMarkdown(h: EvidenceHeader, e: RunEvidence): string {
  const out = [
    `# Shutdown evidence: ${h.run}`, '',
    `Arm \`${h.arm}\` (levers: ${h.levers.length ? h.levers.join(', ') : 'none'}), made by \`${h.command}\` at commit ${h.commit} on ${h.date}.`,
    `Quoted from the pod logs of that run (${h.podLogs}, not committed). Times are relative to the SIGTERM the kubelet sent to the pod's PID 1; negative = before it.`,
    '"absent" = a step the levers should produce that the pod never logged; "none" = a failure step that did not happen.', '',
  ];
  if (e.pods.length === 0) out.push('_No pod was terminated by a rollout in this run._', '');
  for (const p of e.pods) out.push(...podSection(p));
  out.push(...startSection(e));
  return `${out.join('\n')}\n`;
}
