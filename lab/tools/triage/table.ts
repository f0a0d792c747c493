import type { Diagnosis } from './attribute.js';
import type { Signature, Spread } from './signatures.js';

// The triage table: one row per measured signature, with the failure mode and lever it points to.

export interface Row { sig: Signature; dx: Diagnosis | undefined }
export interface ArmExtra { arm: string; label: string; value: string; lever: string; mode: string; source: string }

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const when = (x: Spread | null) => (x ? `${s(x.p50)} [${s(x.p10)}–${s(x.p90)}]` : '–');
const CLASS_LABEL: Record<string, string> = { http_502: '502', http_503: '503', http_5xx_other: 'other 5xx', reset: 'reset', refused: 'refused', timeout: 'timeout', other: 'other' };

export function triageTable(rows: Row[], extras: ArmExtra[], link: (path: string) => string): string {
  const out = [
    '| error · path | count (runs) | after rollout start | after newest pod started | after last SIGTERM | at a SIGKILL (±250 ms) | seen in | failure mode | lever |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { sig, dx } of rows) {
    out.push(`| ${CLASS_LABEL[sig.cls] ?? sig.cls} · ${sig.path} | ${sig.count} (${sig.runs}) | ${when(sig.sinceRolloutMs)} | ${when(sig.sinceNewPodMs)} | ${when(sig.sinceSigtermMs)} | `
      + `${Math.round(sig.nearSigkillShare * 100)} % | [\`${sig.arm}\`](${link(`${sig.sources[0]}/summary.json`)}) | ${dx?.mode ?? 'mixed: see the arm'} | ${dx ? `\`${dx.lever}\`` : '–'} |`);
  }
  for (const e of extras) {
    out.push(`| ${e.label} | ${e.value} | – | – | – | – | [\`${e.arm}\`](${link(e.source)}) | ${e.mode} | \`${e.lever}\` |`);
  }
  return `${out.join('\n')}\n`;
}
