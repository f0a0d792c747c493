import { LabError } from '../../../common/errors.js';

/** An IntOrString as Kubernetes accepts it for maxSurge/maxUnavailable: an integer or "NN%". */
export type IntOrPercent = number | string;

/**
 * Kubernetes' intstr.GetScaledValueFromIntOrPercent: a percentage of `total`, rounded up or down.
 * `where` names the manifest field in errors.
 */
export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean, where: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new LabError('LAB_BAD_MANIFEST', `${where}: ${value} is not a non-negative integer`);
    return value;
  }
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new LabError('LAB_BAD_MANIFEST', `${where}: "${value}" is neither an integer nor a percentage like "25%"`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export interface Fenceposts { maxSurge: number; maxUnavailable: number }

/**
 * deploymentutil.ResolveFenceposts: surge rounds up, unavailable rounds down, and both zero would
 * deadlock the rollout, so unavailable becomes 1.
 */
export function resolveFenceposts(replicas: number, maxSurge: IntOrPercent = '25%', maxUnavailable: IntOrPercent = '25%', where = 'spec.strategy.rollingUpdate'): Fenceposts {
  const surge = scaledValue(maxSurge, replicas, true, `${where}.maxSurge`);
  let unavailable = scaledValue(maxUnavailable, replicas, false, `${where}.maxUnavailable`);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { maxSurge: surge, maxUnavailable: unavailable };
}
