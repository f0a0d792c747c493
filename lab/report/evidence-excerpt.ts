import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvidenceStep, RunEvidence } from './evidence.js';
import type { StoredRun } from './load.js';

// The README's excerpt: one terminated service pod of `before` next to one of `after`, step by step,
// read from the runs' evidence.json (the full sequences are linked).

export function readEvidence(resultsDir: string, run: StoredRun): RunEvidence | undefined {
  const f = join(resultsDir, run.dir, 'evidence.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as RunEvidence) : undefined;
}

const show = (s: EvidenceStep | undefined) => {
  if (!s) return '—';
  if (s.at === null) return s.detail;
  const t = `${s.at >= 0 ? '+' : '−'}${Math.abs(s.at)} ms`;
  // the answered requests say which request, the rest only when
  return s.step.includes('request answered') ? `${t}: ${s.detail}` : t;
};

/** A pod's step by name; an absent "dependency closed" stands for every named dependency the other pod closed. */
function stepOf(steps: readonly EvidenceStep[], name: string): EvidenceStep | undefined {
  return steps.find((s) => s.step === name) ?? steps.find((s) => s.at === null && name.startsWith(`${s.step}: `));
}

/** Markdown table: step | before | after, with links to both evidence files; '' when either is missing. */
export function evidenceExcerpt(before: { run: StoredRun; e: RunEvidence }, after: { run: StoredRun; e: RunEvidence }, linkPrefix: string): string {
  const b = before.e.pods.find((p) => p.role === 'service');
  const a = after.e.pods.find((p) => p.role === 'service');
  if (!b || !a) return '';
  const names = a.steps.map((s) => s.step);
  for (const s of b.steps) if (!stepOf(a.steps, s.step) && !names.some((n) => n.startsWith(`${s.step}: `))) names.push(s.step);
  const lines = [
    `| one service pod's shutdown (ms vs its SIGTERM) | [\`before\`](${linkPrefix}${before.run.dir}/evidence.md) | [\`after\`](${linkPrefix}${after.run.dir}/evidence.md) |`,
    '|---|---|---|',
    ...names.map((st) => `| ${st} | ${show(stepOf(b.steps, st))} | ${show(stepOf(a.steps, st))} |`),
    `| **verdict** | ${b.verdict} | ${a.verdict} |`,
  ];
  return `${lines.join('\n')}\n`;
}
