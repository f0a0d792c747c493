import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineLoad } from '../../engine/machine.js';
import { niceMax, Svg } from '../../report/svg.js';
import type { RouteRetry } from '../../targets/local/route-retry.js';
import { KIND_TITLES, KINDS, type Kind, type VariantCounts } from './classify.js';

// results/route-retry/: the table (md, csv), the chart and the claims, all drawn from summary.json
// alone so `npm run lab -- report` can redraw them.

export const VARIANTS = ['none', 'retry'] as const;
export type Variant = (typeof VARIANTS)[number];
export const VARIANT_TITLES: Record<Variant, string> = { none: 'no retry', retry: 'route retry' };

export interface RouteRetryRow { arm: string; variant: Variant; maxTries: number; rolloutMs: number; dropped: number; counts: VariantCounts }

export interface RouteRetrySummary {
  experiment: 'route-retry';
  command: string;
  target: 'local';
  commit: string;
  date: string;
  params: {
    arms: string[];
    rate: number;
    streams: number;
    /** load before the rollout and after it completed (absent in summaries written before it was recorded) */
    loadMs?: { beforeRollout: number; afterRollout: number };
    l7: 'envoy-gateway';
    variants: Record<Variant, { file: string; retry: RouteRetry | null }>;
    machine: MachineLoad;
  };
  rows: RouteRetryRow[];
}

/** The kinds shown: the ones the experiment is about, plus any other that occurred. */
function shownKinds(rows: readonly RouteRetryRow[]): Kind[] {
  const core: Kind[] = ['refused', 'pod-503', 'reset-get', 'reset-post', 'cut'];
  return KINDS.filter((k) => core.includes(k) || rows.some((r) => r.counts.byKind[k].firstTries > 0));
}

export function verdicts(rows: readonly RouteRetryRow[]): Array<{ claim: string; held: boolean | null }> {
  const on = rows.filter((r) => r.variant === 'retry');
  const sum = (k: Kind, f: 'firstTries' | 'clientFailures' | 'noRetryLeftFailures', rs = on) => rs.reduce((s, r) => s + r.counts.byKind[k][f], 0);
  const claim = (text: string, kinds: Kind[], hidden: boolean) => {
    const seen = kinds.reduce((s, k) => s + sum(k, 'firstTries'), 0);
    const failed = kinds.reduce((s, k) => s + sum(k, 'clientFailures'), 0);
    const noneLeft = kinds.reduce((s, k) => s + sum(k, 'noRetryLeftFailures'), 0);
    return {
      claim: `${text} (with the route retry: ${seen} first tries of that kind, ${failed} failed at the client${hidden ? `, ${noneLeft} of them with no retry left: every try made, or the last one reset` : ''})`,
      held: seen === 0 ? null : hidden ? failed === noneLeft : failed === seen,
    };
  };
  return [
    claim('the route retry hides a refused connect whenever a pod within its tries answers: every such client failure had no retry left', ['refused'], true),
    claim('the route retry hides a 503 the pod answered (503 is in codes) whenever a pod within its tries answers otherwise', ['pod-503'], true),
    claim('the route retry hides no reset before response headers, GET or POST (`reset` is not in retry_on)', ['reset-get', 'reset-post'], false),
    claim('the route retry hides no reset mid-response (the headers already went to the client)', ['cut'], false),
  ];
}

/** The claims as the results' bullet lines. */
export function verdictLines(rows: readonly RouteRetryRow[]): string[] {
  return verdicts(rows).map((x) => `- ${x.held === null ? 'not observed in this batch' : x.held ? 'held' : '**did not hold**'}: ${x.claim}`);
}

const cell = (c: { firstTries: number; clientFailures: number; noRetryLeftFailures: number }, maxTries: number) => (c.firstTries === 0 ? '0'
  : `${c.firstTries} → ${c.clientFailures}${maxTries > 1 && c.clientFailures > 0 ? ` (${c.noRetryLeftFailures} with no retry left)` : ''}`);

export function markdownTable(rows: readonly RouteRetryRow[]): string {
  const kinds = shownKinds(rows);
  const head = ['arm', 'HTTPRoute', 'requests', ...kinds.map((k) => KIND_TITLES[k]), 'client failures', 'retried', 'rollout'];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    out.push(`| \`${r.arm}\` | ${VARIANT_TITLES[r.variant]} | ${r.counts.requests} | ${kinds.map((k) => cell(r.counts.byKind[k], r.maxTries)).join(' | ')} | ${r.counts.clientFailures} | ${r.counts.retried} | ${(r.rolloutMs / 1000).toFixed(1)} s |`);
  }
  return `${out.join('\n')}\n`;
}

export function csvTable(rows: readonly RouteRetryRow[]): string {
  const head = ['arm', 'variant', 'max_tries', 'requests', 'client_failures', 'retried', 'dropped', 'rollout_ms', ...KINDS.flatMap((k) => [`${k}_first_tries`, `${k}_client_failures`, `${k}_no_retry_left`])];
  const lines = rows.map((r) => [r.arm, r.variant, r.maxTries, r.counts.requests, r.counts.clientFailures, r.counts.retried, r.dropped, r.rolloutMs, ...KINDS.flatMap((k) => [r.counts.byKind[k].firstTries, r.counts.byKind[k].clientFailures, r.counts.byKind[k].noRetryLeftFailures])].join(','));
  return `${[head.join(','), ...lines].join('\n')}\n`;
}

const SHORT: Record<Kind, string> = { refused: 'refused connect', 'pod-503': '503 from the pod', 'reset-get': 'reset, GET', 'reset-post': 'reset, POST', cut: 'cut mid-response', timeout: 'route timeout', 'no-endpoint': 'no endpoint' };

const COLORS: Record<Variant, { tried: string; seen: string }> = { none: { tried: '#c9c9c9', seen: '#d62728' }, retry: { tried: '#c6dbef', seen: '#1f77b4' } };

/** Per arm, per failure kind: first tries that failed (light) and the failures the client saw (dark), without and with the retry. */
export function chart(rows: readonly RouteRetryRow[]): string {
  const kinds = shownKinds(rows);
  const arms = [...new Set(rows.map((r) => r.arm))];
  const PW = Math.max(600, kinds.length * 125);
  const PH = 180;
  const L = 60;
  const TOP = 56;
  const GAP = 70;
  const svg = new Svg(L + PW + 30, TOP + arms.length * (PH + GAP));
  svg.text(L, 18, 'HTTPRoute retry (Envoy Gateway): first tries that failed (light) vs failures the client saw (dark)', 'font-weight="bold" font-size="12"');
  svg.text(L, 34, `left bar of each pair (red): ${VARIANT_TITLES.none}; right bar (blue): ${VARIANT_TITLES.retry}; label: client failures / first tries`, 'fill="#444"');
  arms.forEach((arm, ai) => {
    const y = TOP + ai * (PH + GAP) + 16;
    const mine = VARIANTS.map((v) => rows.find((r) => r.arm === arm && r.variant === v));
    const max = Math.max(1, ...mine.flatMap((r) => (r ? kinds.map((k) => r.counts.byKind[k].firstTries) : [0])));
    const { top, step } = niceMax(max);
    svg.panel({ x: L, y, w: PW, h: PH, title: `arm ${arm}: requests by how their first try failed`, top, step });
    const slot = PW / kinds.length;
    kinds.forEach((k, ki) => {
      VARIANTS.forEach((v, vi) => {
        const r = mine[vi];
        if (!r) return;
        const c = r.counts.byKind[k];
        const x = L + ki * slot + slot * 0.15 + vi * slot * 0.36;
        const w = slot * 0.32;
        const h = (n: number) => (n / top) * PH;
        svg.rect(x, y + PH - h(c.firstTries), w, h(c.firstTries), COLORS[v].tried, '', `${VARIANT_TITLES[v]}: ${c.firstTries} first tries ${KIND_TITLES[k]}`);
        svg.rect(x, y + PH - h(c.clientFailures), w, h(c.clientFailures), COLORS[v].seen, '', `${VARIANT_TITLES[v]}: ${c.clientFailures} seen by the client`);
        svg.text(x + w / 2, y + PH - h(c.firstTries) - 3, c.firstTries === 0 ? '0' : `${c.clientFailures}/${c.firstTries}`, 'text-anchor="middle" font-size="9" fill="#222"');
      });
      svg.text(L + ki * slot + slot / 2, y + PH + 14, SHORT[k], 'text-anchor="middle" font-size="10"');
    });
  });
  return svg.toString();
}

export function summaryMarkdown(s: RouteRetrySummary): string {
  const m = s.params.machine;
  const r = s.params.variants.retry.retry;
  return [
    '# Route retry at L7: what an HTTPRoute `retry` hides during a rollout, and what it cannot', '',
    `Made by \`${s.command}\` at commit ${s.commit} on ${s.date} (local target, L7 profile ${s.params.l7}; ${m.cores} cores, Node ${m.node}, 1-min load average ${m.loadavgBefore[0]} → ${m.loadavgAfter[0]}).`,
    `Each arm rolled once per variant: the HTTPRoute of ${s.params.variants.none.file} (no retry: Envoy Gateway sets no retry policy) and of ${s.params.variants.retry.file}` +
      (r ? ` (retry codes [${r.codes.join(', ')}], attempts ${r.retries}, back-off base ${r.baseBackoffMs} ms: Envoy retries a refused connect and those codes, any method, and never a reset).` : '.'),
    `Load: ${s.params.rate} requests/s of loadtest/scenario.json's mix, all through the L7 path, plus ${s.params.streams} SSE streams (GET /events, reopened every 8 s).`,
    'A cell reads `first tries that failed that way → requests the client saw fail` (with the retry: how many of those had no retry left — all 1 + attempts tries made, or a later try reset); 0 = none met it.', '',
    markdownTable(s.rows),
    ...verdictLines(s.rows), '',
    '![first tries vs client failures](chart.svg)', '',
  ].join('\n');
}

/** The files drawn from a summary: name → text. */
export function routeRetryFiles(s: RouteRetrySummary): Array<[string, string]> {
  return [['table.md', summaryMarkdown(s)], ['table.csv', csvTable(s.rows)], ['chart.svg', chart(s.rows)]];
}

export function writeResults(dir: string, s: RouteRetrySummary): string[] {
  const files = routeRetryFiles(s);
  for (const [f, text] of files) writeFileSync(join(dir, f), text);
  return files.map(([f]) => f);
}
