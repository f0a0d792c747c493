import { LEVERS, type Lever } from '../../../common/levers.js';
import type { Signature } from './signatures.js';

// From a signature to the failure mode and the lever, for the arms whose missing levers are known.
// The explanation texts are fixed; which one applies comes from the measured signature.

export interface Diagnosis { lever: Lever; mode: string }

export const MODES = {
  pid1: 'SIGTERM never reaches the app: SIGKILL at the end of the grace period resets every open connection',
  newPod: 'new pods routed before they listen: no readiness probe, so a pod is an endpoint as soon as it starts',
  race: 'deregistration race: the listener closes at SIGTERM while endpoints still route to it for the propagation delay',
  drain: 'wrong teardown: without the drain deadline the budget after SIGTERM is only the drain delay, so requests that do not fit are refused with 503 and open sockets are cut',
  requeue: 'a job cut off mid-run is redelivered and its non-idempotent effect applied twice',
  surge: 'capacity dip: maxSurge 0 takes a pod out before its replacement is ready',
} as const;

export function missingLevers(levers: readonly string[]): Lever[] {
  return LEVERS.filter((l) => !levers.includes(l));
}

/** Which failure mode explains this signature, given the levers its arm lacks. */
export function diagnose(sig: Signature, missing: readonly Lever[]): Diagnosis | undefined {
  const has = (l: Lever) => missing.includes(l);
  if (has('pid1') && sig.nearSigkillShare >= 0.5) return { lever: 'pid1', mode: MODES.pid1 };
  // without pid1 the old pods ignore SIGTERM until SIGKILL: what fails earlier met a new pod
  if (has('pid1') && has('readiness')) return { lever: 'readiness', mode: MODES.newPod };
  if (missing.length !== 1) return undefined;
  const only = missing[0]!;
  if (only === 'readiness') return { lever: only, mode: MODES.race };
  if (only === 'drain') return { lever: only, mode: MODES.drain };
  if (only === 'pid1') return { lever: only, mode: MODES.pid1 };
  return undefined;
}
