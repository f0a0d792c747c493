import type { MixEntry, Scenario } from './scenario.js';

// Deterministic request mix: the same seed gives the same sequence of routes, accounts and amounts,
// so repetitions of an arm see identical load. mulberry32 is hand-written because it is 6 lines
// and a dependency for a seeded PRNG would be heavier than the code.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Pick {
  entry: MixEntry;
  account: string;
  amount: number;
}

export class RequestMix {
  private readonly rand: () => number;
  private readonly total: number;

  constructor(private readonly scenario: Scenario, seed = 42) {
    this.rand = mulberry32(seed);
    this.total = scenario.mix.reduce((s, m) => s + m.weight, 0);
  }

  next(): Pick {
    let x = this.rand() * this.total;
    let entry = this.scenario.mix[this.scenario.mix.length - 1]!;
    for (const m of this.scenario.mix) {
      if (x < m.weight) { entry = m; break; }
      x -= m.weight;
    }
    const account = `acct-${Math.floor(this.rand() * this.scenario.accounts)}`;
    const amount = 1 + Math.floor(this.rand() * 9);
    return { entry, account, amount };
  }
}
