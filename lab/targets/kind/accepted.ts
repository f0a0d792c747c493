import type { AcceptedJob } from '../../support/ledger-audit.js';
import { K6_JOB_LINE } from './constants.js';

/**
 * The accepted jobs the k6 script logged (`LAB_JOB <key> <account> <amount>`, one per 202). k6's
 * raw log format prints the message alone, but a line may carry a kubelet timestamp prefix, so the
 * marker is searched anywhere in the line; malformed lines are counted, never silently dropped.
 */
export function parseAcceptedJobs(log: string): { accepted: AcceptedJob[]; malformed: number } {
  const accepted: AcceptedJob[] = [];
  let malformed = 0;
  for (const line of log.split('\n')) {
    const i = line.indexOf(`${K6_JOB_LINE} `);
    if (i < 0) continue;
    const [key, account, amount] = line.slice(i + K6_JOB_LINE.length + 1).trim().split(/\s+/);
    const n = Number(amount);
    if (!key || !account || !Number.isInteger(n)) {
      malformed++;
      continue;
    }
    accepted.push({ idempotencyKey: key, account, amount: n });
  }
  return { accepted, malformed };
}
