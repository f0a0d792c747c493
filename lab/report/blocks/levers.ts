import type { Lever } from '../../../common/levers.js';
import { change, metric, MODE } from '../writeup.js';
import type { ArmRow } from '../tables.js';
import { batchesLabel } from './batch-label.js';

// The runbook's "Measured" line of one lever: the ladder step that added it and the leave-one-out arm
// that lacks it, each compared within its own batch, each batch named.

export function leverMeasured(lever: Lever, ladder: readonly ArmRow[], loo: readonly ArmRow[]): string {
  const m = MODE[lever];
  const out: string[] = [];
  // the first ladder step whose arm has the lever is the one that added it
  const i = ladder.findIndex((r) => r.runs[0]!.summary.levers.includes(lever));
  if (i > 0) {
    const prev = ladder[i - 1]!;
    const cur = ladder[i]!;
    out.push(`**Measured** in the ladder (batch ${batchesLabel([...prev.runs, ...cur.runs])}), \`${prev.arm}\` → \`${cur.arm}\`: `
      + `${m.metrics.map((k) => `${metric(k).header} ${change(prev, cur, k)}`).join('; ')}.`);
  } else out.push('**Measured:** no ladder step adds this lever in the stored runs (`npm run lab -- ladder`).');
  const after = loo.find((r) => r.arm === 'after');
  const without = loo.find((r) => r.arm === `without-${lever}`);
  if (after && without) {
    out.push(`All levers but this one (leave-one-out batch ${batchesLabel([...after.runs, ...without.runs])}), \`after\` → \`${without.arm}\`: `
      + `${[...new Set([...m.loo, 'run_failures'])].map((k) => `${metric(k).header} ${change(after, without, k)}`).join('; ')}.`);
  }
  return out.join('\n');
}
