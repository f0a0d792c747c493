import type { Scenario } from '../../loadtest/scenario.js';

// Apart from protocol.ts, which loads the local target's clients (BullMQ, ioredis, undici): a dry run
// and the report print a plan without paying for them.

/** Planned length of one run, for the remaining-time estimate (deploy length is a guess until measured). */
export function plannedRunMs(s: Scenario, deploys: number, deployMs = 20_000): number {
  const p = s.phases;
  return (p.warmupSeconds + p.baselineSeconds + p.cooldownSeconds + Math.max(0, deploys - 1) * p.pauseBetweenDeploysSeconds) * 1000
    + deploys * deployMs + 8000;
}
