import type { MachineLoad } from '../engine/machine.js';
import { batchOf, type StoredRun } from './load.js';

// Which invocations (batches) a table's runs come from, with commit, date and the machine's load:
// a table that combines batches says so and names each one, instead of pairing them silently.

export interface Batch {
  batch: string;
  command: string;
  commits: string[];
  arms: string[];
  runs: number;
  first: string;
  last: string;
  machine?: { cores: number; node: string; loadBefore: [number, number]; loadAfter: [number, number] };
}

const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];

export function batchesOf(runs: readonly StoredRun[]): Batch[] {
  const groups = new Map<string, StoredRun[]>();
  for (const r of runs) groups.set(batchOf(r), [...(groups.get(batchOf(r)) ?? []), r]);
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([batch, list]) => {
    const dates = list.map((r) => r.summary.date).sort();
    const machines = list.map((r) => r.summary.params.machine as MachineLoad | undefined).filter((m): m is MachineLoad => !!m);
    const m0 = machines[0];
    return {
      batch, command: list[0]!.summary.command, runs: list.length,
      commits: [...new Set(list.map((r) => r.summary.commit))], arms: [...new Set(list.map((r) => r.summary.arm))],
      first: dates[0]!, last: dates.at(-1)!,
      ...(m0 ? { machine: {
        cores: m0.cores, node: m0.node,
        loadBefore: range(machines.map((m) => m.loadavgBefore[0] ?? 0)), loadAfter: range(machines.map((m) => m.loadavgAfter[0] ?? 0)),
      } } : {}),
    };
  });
}

const short = (c: string) => (c.length > 12 ? `${c.slice(0, 12)}${c.endsWith('-dirty') ? '-dirty' : ''}` : c);
const span = ([a, b]: [number, number]) => (a === b ? String(a) : `${a}–${b}`);

export function describeBatch(b: Batch): string {
  const machine = b.machine
    ? `; ${b.machine.cores} cores, Node ${b.machine.node}, 1-min load average ${span(b.machine.loadBefore)} at the start of its runs and ${span(b.machine.loadAfter)} at their end`
    : '; machine load not recorded (run made before the lab recorded it)';
  return `\`${b.command}\` (${b.arms.join(', ')}; ${b.runs} runs, ${b.first.slice(0, 16).replace('T', ' ')} … ${b.last.slice(11, 16)} UTC; commit ${b.commits.map(short).join(', ')}${machine})`;
}

/** One line for one batch; for several, a loud line and one line per batch. */
export function provenanceLines(runs: readonly StoredRun[]): string[] {
  const batches = batchesOf(runs);
  if (batches.length <= 1) return batches.map((b) => `One batch: ${describeBatch(b)}.`);
  return [`**Mixed batches**: these rows come from ${batches.length} separate invocations; compare them with care:`, ...batches.map((b) => `- ${describeBatch(b)}`)];
}
