import { LabError } from './errors.js';

// Ordered as in docs/runbook.md: each later lever is useless while an earlier failure mode dominates,
// so the ladder adds them in exactly this order.
export const LEVERS = ['pid1', 'readiness', 'drain', 'requeue', 'surge'] as const;
export type Lever = (typeof LEVERS)[number];
export type Fixes = ReadonlySet<Lever>;

export function isLever(s: string): s is Lever {
  return (LEVERS as readonly string[]).includes(s);
}

/** Parses LAB_FIXES: `none`, `all`, or a comma list of lever ids. Unset means `all`. */
export function parseFixes(raw: string | undefined): Fixes {
  const value = (raw ?? 'all').trim();
  if (value === '' || value === 'all') return new Set(LEVERS);
  if (value === 'none') return new Set();
  const out = new Set<Lever>();
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!isLever(part)) {
      throw new LabError('LAB_UNKNOWN_LEVER', `LAB_FIXES contains "${part}"; valid ids are none, all, or a comma list of ${LEVERS.join(', ')}`);
    }
    out.add(part);
  }
  return out;
}

/** The canonical LAB_FIXES string for a set of levers (`none`, `all`, or the list in ladder order). */
export function formatFixes(fixes: Iterable<Lever>): string {
  const set = new Set(fixes);
  if (set.size === 0) return 'none';
  if (set.size === LEVERS.length) return 'all';
  return LEVERS.filter((l) => set.has(l)).join(',');
}
