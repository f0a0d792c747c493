// The doctor's public shapes. `check` (issue 16) imports these through index.ts: change them only additively.

export type Severity = 'error' | 'warning' | 'info';
export type DoctorLever = 'pid1' | 'readiness' | 'drain' | 'requeue' | 'surge' | 'reload';

export interface Finding {
  id: string;
  lever: DoctorLever;
  severity: Severity;
  file: string;
  object: string; // Kind/name
  path: string; // field path
  why: string;
  fix: string;
}

export interface DoctorReport {
  findings: Finding[];
  ignored: { file: string; kind: string; name: string }[];
}

export interface DoctorOptions {
  paths: string[];
  dockerfile?: string;
  deregistrationS?: number;
  drainS?: number;
}

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** error > warning > info: a finding counts for --fail-on S when its rank is at least S's. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}
