import { batchesOf, type Batch } from '../provenance.js';
import type { StoredRun } from '../load.js';

// A short name for the batch a figure comes from, so prose that quotes it says which invocation,
// commit, date and machine load made it (and never pairs figures from two batches silently).

const span = ([a, b]: [number, number]) => (a === b ? String(a) : `${a}–${b}`);

export function batchLabel(b: Batch): string {
  const load = b.machine ? `1-min load ${span(b.machine.loadBefore)}` : 'load not recorded';
  const reps = Math.max(1, Math.round(b.runs / Math.max(1, b.arms.length)));
  // named by the invocation start (params.batch), so every quote of one batch names it the same way
  return `\`${b.command}\` started ${b.batch.slice(0, 16).replace('T', ' ')} UTC, commit ${b.commits.map((c) => c.slice(0, 7)).join('+')}, ${reps} rep${reps === 1 ? '' : 's'} per arm, ${load}`;
}

/** The one batch these runs come from, or each of them joined with a warning. */
export function batchesLabel(runs: readonly StoredRun[]): string {
  const bs = batchesOf(runs);
  return bs.length === 1 ? batchLabel(bs[0]!) : `mixed batches: ${bs.map(batchLabel).join('; ')}`;
}
