import type { MixEntry, Scenario } from './scenario.js';
import { mulberry32 } from '../common/random.js';

// Deterministic request mix: the same seed gives the same sequence of routes, accounts and amounts,
// so repetitions of an arm see identical load.

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
