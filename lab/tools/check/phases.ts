import type { MixEntry, Scenario } from '../../../loadtest/scenario.js';

// check's load plan around its rollouts, the same for the local and the cluster mode (and read by
// the summary without loading either mode's modules).

/**
 * The fixed phases around the rollouts. LAB_CHECK_SHORT_PHASES=1 shortens them for the lab's own
 * tests, which run check dozens of times and assert what happens in the rollouts, not in the
 * baseline; every run records the phases it used (params.phases).
 */
export const CHECK_PHASES = process.env.LAB_CHECK_SHORT_PHASES === '1'
  ? { warmupSeconds: 1, baselineSeconds: 2, pauseBetweenDeploysSeconds: 1, cooldownSeconds: 1 }
  : { warmupSeconds: 3, baselineSeconds: 5, pauseBetweenDeploysSeconds: 2, cooldownSeconds: 3 };

export function checkScenario(routes: readonly MixEntry[], rate: number, deploys: number): Scenario {
  return { rate, mix: routes, accounts: 1, keepAlive: true, timeoutSeconds: 10, phases: { ...CHECK_PHASES, deploys } };
}
