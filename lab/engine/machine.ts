import { availableParallelism, loadavg, platform, release } from 'node:os';

// What the machine was doing around a run: the counts depend on it (a loaded 2-core box loses
// requests an idle one does not), so every summary carries it and the tables can state it.

export interface MachineLoad {
  cores: number;
  node: string;
  os: string;
  /** os.loadavg() [1, 5, 15 min] when the run started and when it ended */
  loadavgBefore: number[];
  loadavgAfter: number[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function loadNow(): number[] {
  return loadavg().map(round2);
}

export function machineLoad(loadavgBefore: number[]): MachineLoad {
  return { cores: availableParallelism(), node: process.version, os: `${platform()} ${release()}`, loadavgBefore, loadavgAfter: loadNow() };
}
