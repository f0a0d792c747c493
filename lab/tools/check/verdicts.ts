// check's verdict names and exit codes: a module of its own so the CLI can answer an early
// INCONCLUSIVE without loading the report's writers.

export const VERDICTS = { Pass: 'PASS', Fail: 'FAIL', Inconclusive: 'INCONCLUSIVE' } as const;
export type VerdictKind = (typeof VERDICTS)[keyof typeof VERDICTS];
/** check's exit code per verdict (0 pass, 1 fail, 3 inconclusive; 2 is bad input, before anything starts) */
export const VERDICT_EXIT: Record<VerdictKind, number> = { PASS: 0, FAIL: 1, INCONCLUSIVE: 3 };
