// The Redis layout the lab audits (docs/architecture.md, "Redis layout"). One place for the names
// so the effect that writes them and the audit that reads them cannot drift apart.
export const APPLIED_SET = 'ledger:applied';
export const EFFECTS_LIST = 'ledger:effects';
export const BALANCE_PREFIX = 'ledger:balance:';

export function balanceKey(account: string): string {
  return `${BALANCE_PREFIX}${account}`;
}
