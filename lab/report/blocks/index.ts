import { LEVERS } from '../../../common/levers.js';
import type { BlockGenerator } from '../doc-blocks.js';
import { headlineTable } from '../headline.js';
import type { ArmRow } from '../tables.js';
import { triageBlock } from '../../tools/triage/main.js';
import { checkExamples, clientsMeasured, idleCloseMeasured, keepAliveL4Measured, longLivedMeasured, reconnectSizing, routeRetryMeasured, tuneRun } from './experiments.js';
import { leverMeasured } from './levers.js';
import { batchesLabel } from './batch-label.js';

// Every generated block a doc may hold, by name (the registry lab/report/doc-blocks.ts fills docs from).

export interface ShownRows {
  /** README's headline: the local ingress-nginx before/after rows, their provenance and chart/evidence lines */
  headline?: { rows: ArmRow[]; source: string; extra: string };
  beforeAfter: ArmRow[];
  ladder: ArmRow[];
  loo: ArmRow[];
}

const missing = (what: string, cmd: string) => `_No stored ${what}: \`${cmd}\`._`;

export function docBlocks(shown: ShownRows): Record<string, BlockGenerator> {
  const before = shown.beforeAfter.find((r) => r.arm === 'before');
  const after = shown.beforeAfter.find((r) => r.arm === 'after');
  const blocks: Record<string, BlockGenerator> = {
    headline: () => {
      const h = shown.headline;
      if (!h || !before || !after) return missing('before/after batch', 'make before after');
      return `${h.source}\n\n${headlineTable(before, after)}${h.extra ? `\n${h.extra}\n` : ''}`;
    },
    'runbook-headline': (ctx) => {
      if (!before || !after) return missing('before/after batch', 'make before after');
      const p = before.runs[0]!.summary.params;
      return `From [before-after.md](${ctx.link('before-after.md')}), one batch: ${batchesLabel([...before.runs, ...after.runs])}; `
        + `target ${before.target}, L7 ${before.l7}, ${p.rate} req/s, ${p.deploys} rolling deploys, propagation delay ${p.propagationDelayMs} ms.\n\n`
        + headlineTable(before, after, ['window_failures', 'http_502', 'reset', 'refused', 'sigkills', 'min_ready_pods', 'jobs_duplicated', 'jobs_lost']);
    },
    'reconnect-sizing': reconnectSizing,
    'long-lived': longLivedMeasured,
    'check-examples': checkExamples,
    'tune-run': tuneRun,
    'route-retry': routeRetryMeasured,
    clients: clientsMeasured,
    'idle-close': idleCloseMeasured,
    'keepalive-l4': keepAliveL4Measured,
    triage: (ctx) => triageBlock(ctx.resultsDir, ctx.link),
  };
  for (const lever of LEVERS) blocks[`lever-${lever}`] = () => leverMeasured(lever, shown.ladder, shown.loo);
  return blocks;
}
