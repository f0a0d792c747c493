import type { Lever } from '../../common/levers.js';
import { LEVERS } from '../../common/levers.js';
import { METRICS, fmtSpread, type ArmRow } from './tables.js';
import { batchesLabel } from './blocks/batch-label.js';

// The ladder write-up is generated from the measured rows: every number in it comes from a stored
// summary; only the explanation of each mechanism is fixed text (the mechanisms of docs/runbook.md).

interface LeverText {
  mode: string;
  metrics: string[];
  /** what the run's evidence.md shows when the lever acts (the mechanism, not just the number) */
  seen: string;
  /** the leave-one-out comparison quotes these (the metric the lever exists for, not "failed 0") */
  loo: string[];
  why: string;
}

export const MODE: Record<Lever, LeverText> = {
  pid1: {
    mode: 'SIGTERM never reaches the app: the pod waits out the whole grace period, then SIGKILL resets every open connection',
    metrics: ['sigkills', 'deploy_duration_ms', 'reset', 'window_failures', 'run_failures'],
    seen: 'in evidence.md the kubelet\'s SIGTERM line reads "delivered" and the app logs `signal` within milliseconds; without the lever it reads "dropped by the kernel", no app line follows, and SIGKILL comes at the grace period (exit 137)',
    loo: ['sigkills', 'reset', 'window_failures'],
    why: 'Every other lever runs inside the SIGTERM handler or after it. While the process never sees SIGTERM, a readiness flip, a drain or a requeue cannot happen, and the SIGKILL at the end of the grace period resets whatever was open; so this lever comes first.',
  },
  readiness: {
    mode: 'two routing gaps: new pods without a readiness probe are Ready (and routed to) before they listen, and endpoints are removed in parallel with SIGTERM, so a listener that closes at once still gets traffic (refused on L4, 502 on the ingress)',
    metrics: ['refused', 'http_502', 'min_serving_pods', 'window_failures', 'run_failures'],
    seen: 'in evidence.md the pod is unready at termination, preStop ends about 3 s later, and only then SIGTERM; new pods are Ready only after they listen (the "Ready against listening" table)',
    loo: ['refused', 'http_502', 'window_failures'],
    why: 'With pid1 alone the process now exits at once on SIGTERM, while the routing layer still sends it new connections for the propagation delay, and a new pod without a readiness probe receives traffic before it listens; so pid1 alone can look worse than before. Only with the handler running does keeping the listener open behind a failing /readyz and a preStop wait have an effect.',
  },
  drain: {
    mode: 'wrong teardown: keep-alive sockets destroyed mid-response and Redis closed before in-flight requests finish',
    metrics: ['reset', 'http_502', 'http_5xx_other', 'window_failures'],
    seen: 'in evidence.md the listener closes after the drain delay, `connections-drained` counts idle and after-response closes with forced 0, then the queue and Redis close in that order and the app exits 0',
    loo: ['reset', 'http_5xx_other', 'window_failures'],
    why: 'With the listener kept open through deregistration, the remaining losses are the requests already in flight at exit; an orderly drain only matters once no new traffic arrives at a dying pod (readiness).',
  },
  requeue: {
    mode: 'work that cannot finish inside the budget: jobs lost or applied twice after redelivery; slow requests cut off',
    metrics: ['jobs_duplicated', 'jobs_lost', 'timeout', 'http_503'],
    seen: 'in evidence.md the worker logs `fetching-stopped`, then `jobs-drained` (or requeues at its deadline) before closing the queue',
    loo: ['jobs_duplicated', 'jobs_lost'],
    why: 'The worker can only hand its active jobs back before the deadline if it got SIGTERM (pid1) and shuts down in order (drain); the idempotent effect makes a redelivery harmless.',
  },
  surge: {
    mode: 'capacity dip (maxSurge 0 / maxUnavailable > 0) and a thundering reconnect when old pods close keep-alive connections at once',
    metrics: ['min_ready_pods', 'min_serving_pods', 'p99_roll_ms'],
    seen: 'in the timeline the ready and serving pod counts never drop below the replica count during the roll',
    loo: ['min_ready_pods', 'min_serving_pods', 'p99_roll_ms'],
    why: 'Capacity during the roll is the last order of effect: a dip in ready pods raises latency but loses nothing by itself once the pods that leave drain correctly, so it shows only after the loss-causing modes are gone.',
  },
};

export const metric = (key: string) => METRICS.find((m) => m.key === key)!;
export const cell = (r: ArmRow, key: string) => fmtSpread(r.cells[key]!, metric(key).fmt);

/**
 * prev → cur for one metric, honest about noise: bold only when both arms have ≥ 2 reps and their
 * [min, max] ranges do not overlap; overlapping ranges are "no measurable change"; one rep has no spread.
 */
export function change(prev: ArmRow, cur: ArmRow, key: string): string {
  const a = prev.cells[key]!;
  const b = cur.cells[key]!;
  const text = `${cell(prev, key)} → ${cell(cur, key)}`;
  if (Number.isNaN(a.median) || Number.isNaN(b.median)) return `${text} (not recorded by these runs)`;
  if (a.min === b.min && a.max === b.max) return `${text} (no change)`;
  if (a.n < 2 || b.n < 2) return `${text} (1 rep: run-to-run spread unknown)`;
  if (a.max < b.min || b.max < a.min) return `${cell(prev, key)} → **${cell(cur, key)}**`;
  return `${text}: no measurable change (inside the run-to-run spread)`;
}

/** The arm whose 502s are quoted first: say where they come from (the evidence shows it), not the race. */
function startingPoint(first: ArmRow): string[] {
  return [
    `Starting point \`${first.arm}\` (ladder batch): ${cell(first, 'window_failures')} failed requests in the deploy window (${cell(first, 'window_error_rate')}; ${cell(first, 'run_failures')} in the whole run), `
      + `${cell(first, 'refused')} refused, ${cell(first, 'reset')} resets, ${cell(first, 'http_502')} × 502, ${cell(first, 'timeout')} timeouts, `
      + `${cell(first, 'sigkills')} SIGKILLs, min ${cell(first, 'min_ready_pods')} ready pods (${cell(first, 'min_serving_pods')} serving), ${cell(first, 'jobs_lost')} jobs lost and ${cell(first, 'jobs_duplicated')} side effects duplicated.`,
    '',
    `Where \`${first.arm}\`'s 502s and refusals come from: new pods routed before they listen. Without a readiness probe a pod is Ready the moment its container starts and listens seconds later (each run's evidence.md, "Ready against listening"), so the routing layer sends it connections it refuses (L4) or answers 502 for (ingress). They do not come from the deregistration race: without pid1 the old pods never act on SIGTERM and keep serving until SIGKILL, whose resets are counted separately.`,
    '',
  ];
}

export function ladderWriteup(rows: ArmRow[], looRows: ArmRow[], meta: { command: string; date: string; params: string }): string {
  const out: string[] = [];
  out.push('# What each lever removed (generated from the ladder results)', '');
  out.push(`Generated by \`npm run lab -- report\` from the stored ladder runs; ${meta.params}. Every figure below names the batch it comes from, and each comparison stays inside one batch:`, '');
  out.push(`- **ladder batch** (the numbered steps): ${batchesLabel(rows.flatMap((r) => r.runs))}`);
  if (looRows.length) out.push(`- **leave-one-out batch** (the "leave-one-out" lines): ${batchesLabel(looRows.flatMap((r) => r.runs))}`);
  out.push('');
  out.push('Cells are median [min–max] over repetitions; "window" means requests alive at some moment between the first rollout event and the last old pod gone. Full table: [ladder.md](ladder.md).');
  out.push('A change is **bold** only when both arms have at least 2 repetitions and their [min–max] ranges do not overlap; overlapping ranges read "no measurable change".', '');
  if (rows.length < 2) {
    out.push('_Not enough ladder arms were run yet: run `make ladder`._');
    return `${out.join('\n')}\n`;
  }
  out.push(...startingPoint(rows[0]!));
  for (let i = 1; i < rows.length; i++) {
    const prev = rows[i - 1]!;
    const cur = rows[i]!;
    // derived from the stored lever sets, so a skipped ladder step cannot shift the attribution
    const had = new Set(prev.runs[0]!.summary.levers);
    const added = LEVERS.filter((l) => cur.runs[0]!.summary.levers.includes(l) && !had.has(l));
    const lever = added[0];
    if (!lever) continue;
    const m = MODE[lever];
    out.push(`## ${i}. \`${added.join('` + `')}\` (\`${prev.arm}\` → \`${cur.arm}\`, ladder batch)`, '');
    out.push(`Failure mode: ${m.mode}.`, '');
    out.push(`Mechanism, as the evidence shows it: ${m.seen}.`, '');
    for (const k of m.metrics) out.push(`- ${metric(k).header}: ${change(prev, cur, k)}`);
    const loo = looRows.find((r) => r.arm === `without-${lever}`);
    const after = looRows.find((r) => r.arm === 'after');
    if (loo && after) out.push(`- leave-one-out batch (all levers → all but \`${lever}\`): ${m.loo.map((k) => `${metric(k).header} ${change(after, loo, k)}`).join('; ')}`);
    out.push('', `Why here in the order: ${m.why}`, '');
  }
  const last = rows.at(-1)!;
  out.push('## Result', '');
  out.push(`\`${last.arm}\` (ladder batch): ${cell(last, 'window_failures')} failed requests in the deploy window (${cell(last, 'run_failures')} in the whole run), ${cell(last, 'jobs_lost')} jobs lost, ${cell(last, 'jobs_duplicated')} side effects duplicated, min ${cell(last, 'min_ready_pods')} ready pods (${cell(last, 'min_serving_pods')} serving), p99 during the roll ${cell(last, 'p99_roll_ms')} (steady ${cell(last, 'p99_steady_ms')}).`);
  return `${out.join('\n')}\n`;
}
