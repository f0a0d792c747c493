// The doctor's public shapes. `check` (issue 16) imports these through index.ts: change them only additively.

export type Severity = 'error' | 'warning' | 'info';
export type DoctorLever = 'pid1' | 'readiness' | 'drain' | 'requeue' | 'surge' | 'reload' | 'manifest' | 'keepalive';

/**
 * One machine-applicable step of a fix: set `value` at `path` (relative to the object's root,
 * creating maps on the way), or delete the field when `value` is null (JSON merge-patch's rule).
 */
export interface PatchOp { path: Array<string | number>; value: unknown }

export interface Finding {
  id: string;
  lever: DoctorLever;
  severity: Severity;
  file: string;
  object: string; // Kind/name
  path: string; // field path
  why: string;
  fix: string;
  /** the fix as data, when it is a change to this object's fields (test/doctor/patcher.ts applies it) */
  patch?: PatchOp[];
}

export interface DoctorReport {
  findings: Finding[];
  ignored: { file: string; kind: string; name: string }[];
  /** Dockerfiles found for the input's images (skaffold.yaml), when no --dockerfile was given */
  dockerfiles?: DockerfileNote[];
}

export interface DoctorOptions {
  paths: string[];
  dockerfile?: string;
  deregistrationS?: number;
  /** a routing-path profile of lb-profiles.ts; --deregistration-s overrides it */
  lb?: string;
  drainS?: number;
}

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** error > warning > info: a finding counts for --fail-on S when its rank is at least S's. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}

/**
 * Which Dockerfile the doctor read for an image without --dockerfile (found through skaffold.yaml), or why
 * none: `read`, `missing` (the mapped file is not there), `unreadable` (not a Dockerfile, or a skaffold.yaml
 * that does not parse), `no-dockerfile` (the artifact is built another way).
 */
export interface DockerfileNote {
  image?: string;
  dockerfile?: string;
  skaffold: string;
  status: 'read' | 'missing' | 'unreadable' | 'no-dockerfile';
  message: string;
}
