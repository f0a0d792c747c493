import { LabError } from '../common/errors.js';

export interface JobData {
  readonly account: string;
  readonly amount: number;
  readonly idempotencyKey: string;
}

// The account ends up inside a Redis key name, so it is kept to a conservative alphabet.
const ACCOUNT_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_KEY_LEN = 200;

/** Validates a job's payload; throws LAB_BAD_JOB naming the first problem found. */
export function parseJobData(data: unknown): JobData {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new LabError('LAB_BAD_JOB', `job data must be an object {account, amount, idempotencyKey}, got ${describe(data)}`);
  }
  const d = data as Record<string, unknown>;
  if (typeof d.account !== 'string' || !ACCOUNT_RE.test(d.account)) {
    throw new LabError('LAB_BAD_JOB', `account must be a string of 1-64 characters [A-Za-z0-9_.:-], got ${describe(d.account)}`);
  }
  if (typeof d.amount !== 'number' || !Number.isSafeInteger(d.amount)) {
    throw new LabError('LAB_BAD_JOB', `amount must be an integer, got ${describe(d.amount)}`);
  }
  if (typeof d.idempotencyKey !== 'string' || d.idempotencyKey.length === 0 || d.idempotencyKey.length > MAX_KEY_LEN) {
    throw new LabError('LAB_BAD_JOB', `idempotencyKey must be a non-empty string of at most ${MAX_KEY_LEN} characters, got ${describe(d.idempotencyKey)}`);
  }
  return { account: d.account, amount: d.amount, idempotencyKey: d.idempotencyKey };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
