import { LabError } from '../../../common/errors.js';
import { DEFAULT_LB, LB_PROFILES, lbProfile } from './lb-profiles.js';

// The deregistration delay the preStop rules size from: --deregistration-s (a measurement of the
// user's own routing path) over --lb <profile> over the assumed default profile. The lab's own
// local measurement describes this lab, not the user's path, so it is never a default.

export interface Deregistration {
  seconds: number;
  /** where the number came from, for the output's header and the findings' "why" */
  from: string;
  /** set when neither option was given: the user should know the number was assumed */
  assumed?: string;
}

const MAX_SECONDS = 3600;

/** A seconds option (--deregistration-s, --drain-s) checked for range; LAB_BAD_OPTION naming it otherwise. */
export function seconds(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0 || v > MAX_SECONDS) throw new LabError('LAB_BAD_OPTION', `${name} must be a number of seconds 0..${MAX_SECONDS}, got ${v}`);
  return v;
}

const cloud = () => LB_PROFILES.filter((p) => p.seconds >= 10).map((p) => `${p.id} ${p.seconds} s`).join(', ');

export function resolveDeregistration(o: { deregistrationS?: number | undefined; lb?: string | undefined }): Deregistration {
  if (o.lb !== undefined && !lbProfile(o.lb)) {
    throw new LabError('LAB_BAD_OPTION', `--lb must be one of ${LB_PROFILES.map((p) => p.id).join(', ')}, got "${o.lb}"`);
  }
  if (o.deregistrationS !== undefined) return { seconds: seconds('--deregistration-s', o.deregistrationS), from: '--deregistration-s' };
  const p = lbProfile(o.lb ?? DEFAULT_LB)!;
  const from = `--lb ${p.id} profile`;
  if (o.lb !== undefined) return { seconds: p.seconds, from };
  return {
    seconds: p.seconds, from: `${from}, assumed`,
    assumed: `no --lb or --deregistration-s: assumed --lb ${p.id} (${p.seconds} s); cloud load balancers take far longer (${cloud()}), so pass --lb or your measured --deregistration-s`,
  };
}
