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
  return `${s.at >= 0 ? '+' : '−'}${Math.abs(s.at)} ms`;
};

/** Markdown table: step | before | after, with links to both evidence files; '' when either is missing. */
export function evidenceExcerpt(before: { run: StoredRun; e: RunEvidence }, after: { run: StoredRun; e: RunEvidence }, linkPrefix: string): string {
  const b = before.e.pods.find((p) => p.role === 'service');
  const a = after.e.pods.find((p) => p.role === 'service');
  if (!b || !a) return '';
  const steps = [...new Set([...a.steps, ...b.steps].map((s) => s.step))];
  const lines = [
    `| one service pod's shutdown (ms vs its SIGTERM) | [\`before\`](${linkPrefix}${before.run.dir}/evidence.md) | [\`after\`](${linkPrefix}${after.run.dir}/evidence.md) |`,
    '|---|---|---|',
    ...steps.map((st) => `| ${st} | ${show(b.steps.find((s) => s.step === st))} | ${show(a.steps.find((s) => s.step === st))} |`),
    `| **verdict** | ${b.verdict} | ${a.verdict} |`,
  ];
  return `${lines.join('\n')}\n`;
}
