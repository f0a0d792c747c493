import type { Redis } from 'ioredis';
import type { EffectMode } from './config.js';
import type { JobData } from './job-data.js';
import { APPLIED_SET, EFFECTS_LIST, balanceKey } from './ledger-keys.js';

export interface EffectResult {
  /** false = this idempotency key had already been applied; nothing changed. */
  readonly applied: boolean;
  readonly balance: number;
}

export interface Effect {
  readonly mode: EffectMode;
  apply(job: JobData): Promise<EffectResult>;
}

// Record-the-key and apply-the-amount are one Lua script: Redis runs it atomically, so there is no
// window between "check" and "apply" for a redelivered copy or a racing worker to slip through.
const APPLY_ONCE_LUA = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  return {0, tonumber(redis.call('GET', KEYS[2]) or '0')}
end
local balance = redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[1])
return {1, balance}
`;

interface WithApplyOnce {
  ledgerApplyOnce(applied: string, balance: string, effects: string, key: string, amount: number): Promise<[number, number]>;
}

export function createEffect(redis: Redis, mode: EffectMode): Effect {
  if (mode === 'naive') {
    return {
      mode,
      async apply(job) {
        // MULTI only keeps the increment and its ledger entry together (so the audit can count
        // applications); it guards nothing: a second delivery increments again.
        const res = await redis.multi().incrby(balanceKey(job.account), job.amount).rpush(EFFECTS_LIST, job.idempotencyKey).exec();
        const err = res?.find(([e]) => e)?.[0];
        if (!res || err) throw err ?? new Error('MULTI aborted');
        return { applied: true, balance: Number(res[0]![1]) };
      },
    };
  }
  // defineCommand: ioredis sends EVALSHA and falls back to EVAL after a script-cache flush.
  if (!('ledgerApplyOnce' in redis)) {
    redis.defineCommand('ledgerApplyOnce', { numberOfKeys: 3, lua: APPLY_ONCE_LUA });
  }
  const r = redis as unknown as WithApplyOnce;
  return {
    mode,
    async apply(job) {
      const [applied, balance] = await r.ledgerApplyOnce(APPLIED_SET, balanceKey(job.account), EFFECTS_LIST, job.idempotencyKey, job.amount);
      return { applied: applied === 1, balance: Number(balance) };
    },
  };
}
