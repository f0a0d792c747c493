import { MECHANISMS, type Mechanism } from './mechanism.js';

// The triage tables: failed requests by mechanism (one kind of number: failed requests, summed over
// the runs of a batch), and beside it what is not a request failure (side effects, capacity), per run.

export interface Spread { p50: number; p10: number; p90: number; n: number }

export interface Row {
  arm: string;
  mechanism: Mechanism;
  runs: number;
  /** failed requests over the whole run (first request to last), summed over the runs */
  failed: number;
  /** of those, alive at some moment of the deploy window */
  inWindow: number;
  /** the arm's failed requests (whole run, summed), for the share */
  armFailed: number;
  classes: Record<string, number>;
  /** after the latest service rollout step started (failures before the first rollout have none) */
  sinceRolloutMs: Spread | null;
  source: string;
}

export interface ArmExtra { arm: string; label: string; perRun: number[]; lever: string; mode: string; source: string }

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const when = (x: Spread | null) => (x ? `${s(x.p50)} [${s(x.p10)}–${s(x.p90)}]` : '–');
const CLASS_LABEL: Record<string, string> = { http_502: '502', http_503: '503', http_5xx_other: 'other 5xx', reset: 'reset', refused: 'refused', timeout: 'timeout', other: 'other' };

export const TRIAGE_TITLE = 'Failed requests by the mechanism the evidence shows at their moment (whole run: first request to last, summed over the runs of each arm\'s latest batch)';

export function triageTable(rows: Row[], extras: ArmExtra[], link: (path: string) => string): string {
  const out = [
    `**${TRIAGE_TITLE}**`, '',
    '| arm (runs) | mechanism | failed requests, whole run | of them in the deploy window | by class | share of the arm\'s failures | after the rollout step started: median [p10–p90] | lever |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const m = MECHANISMS[r.mechanism];
    const classes = Object.entries(r.classes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${n} × ${CLASS_LABEL[c] ?? c}`).join(', ');
    out.push(`| [\`${r.arm}\`](${link(r.source)}) (${r.runs}) | ${m.label} | ${r.failed} | ${r.inWindow} | ${classes} | ${(100 * r.failed / r.armFailed).toFixed(1)} % | ${when(r.sinceRolloutMs)} | ${m.lever ? `\`${m.lever}\`` : '**investigate**'} |`);
  }
  if (extras.length) {
    out.push('', '**Not request failures** (per run of the same batches)', '', '| arm | what | per run | failure mode | lever |', '|---|---|---|---|---|');
    for (const e of extras) out.push(`| [\`${e.arm}\`](${link(e.source)}) | ${e.label} | ${e.perRun.join(', ')} | ${e.mode} | \`${e.lever}\` |`);
  }
  out.push('', 'Mechanisms, in the order they are tested for each failed request:', '');
  for (const m of Object.values(MECHANISMS)) out.push(`- ${m.label}: ${m.text}.`);
  return `${out.join('\n')}\n`;
}
