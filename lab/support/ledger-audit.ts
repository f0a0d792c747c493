import type { Redis } from 'ioredis';
import type { JobAudit } from '../engine/schema.js';
import { BALANCE_PREFIX, EFFECTS_LIST } from '../../worker/ledger-keys.js';

export interface AcceptedJob {
  idempotencyKey: string;
  account: string;
  amount: number;
}

export interface AccountAudit {
  account: string;
  balance: number;
  expected: number; // sum of the amounts of accepted jobs that were applied at least once
  acceptedSum: number; // sum of the amounts of every accepted job
}

export interface JobAuditDetail extends JobAudit {
  accounts: AccountAudit[];
  /** idempotency keys applied more than once, with their application count */
  duplicatedKeys: Array<{ idempotencyKey: string; count: number }>;
  lostKeys: string[];
}

/** The JobAudit of lab/engine/schema.ts: what an outside observer of the Redis ledger can prove. */
export async function auditJobs(redis: Redis, accepted: AcceptedJob[]): Promise<JobAudit> {
  const { accounts: _a, duplicatedKeys: _d, lostKeys: _l, ...audit } = await auditJobsDetail(redis, accepted);
  return audit;
}

/** auditJobs plus the per-account and per-key evidence behind each number. */
export async function auditJobsDetail(redis: Redis, accepted: AcceptedJob[]): Promise<JobAuditDetail> {
  const effects = await redis.lrange(EFFECTS_LIST, 0, -1);
  const counts = new Map<string, number>();
  for (const k of effects) counts.set(k, (counts.get(k) ?? 0) + 1);

  // One accepted entry per key: a client retry with the same key is the same job.
  const byKey = new Map<string, AcceptedJob>();
  for (const a of accepted) byKey.set(a.idempotencyKey, a);

  let applied = 0;
  const lostKeys: string[] = [];
  const accounts = new Map<string, AccountAudit>();
  const acct = (account: string): AccountAudit => {
    let a = accounts.get(account);
    if (!a) accounts.set(account, (a = { account, balance: 0, expected: 0, acceptedSum: 0 }));
    return a;
  };
  for (const job of byKey.values()) {
    const a = acct(job.account);
    a.acceptedSum += job.amount;
    if ((counts.get(job.idempotencyKey) ?? 0) > 0) {
      applied++;
      a.expected += job.amount;
    } else {
      lostKeys.push(job.idempotencyKey);
    }
  }

  const duplicatedKeys: JobAuditDetail['duplicatedKeys'] = [];
  let duplicated = 0;
  let unacknowledged = 0;
  for (const [k, n] of counts) {
    if (n > 1) {
      duplicated += n - 1;
      duplicatedKeys.push({ idempotencyKey: k, count: n });
    }
    if (!byKey.has(k)) unacknowledged++;
  }

  // Every balance key in Redis, not only the accepted accounts: money on an account nobody was
  // told about is a mismatch too.
  for (const key of await scanKeys(redis, `${BALANCE_PREFIX}*`)) acct(key.slice(BALANCE_PREFIX.length));
  const list = [...accounts.values()].sort((x, y) => x.account.localeCompare(y.account));
  if (list.length > 0) {
    const values = await redis.mget(list.map((a) => `${BALANCE_PREFIX}${a.account}`));
    list.forEach((a, i) => { a.balance = Number(values[i] ?? 0); });
  }
  const balanceMismatches = list.filter((a) => a.balance !== a.expected).length;

  return {
    accepted: byKey.size,
    applied,
    lost: lostKeys.length,
    duplicated,
    unacknowledged,
    balanceMismatches,
    accounts: list,
    duplicatedKeys,
    lostKeys,
  };
}

async function scanKeys(redis: Redis, match: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  // SCAN terminates by contract (cursor returns to 0); the cap only guards against a broken server.
  for (let i = 0; i < 100_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  return [...new Set(out)];
}
