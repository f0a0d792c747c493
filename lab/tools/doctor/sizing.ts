// The one sizing rule that `tune` recommends with and `doctor` checks against, so a manifest `tune`
// writes never fails `doctor` (issue 27's seam). Imported by lab/experiments/tune/recommend.ts.
//
// preStop ≈ 3 × the deregistration delay's p99. A deleted pod's endpoint turns not-ready at once
// (EndpointSlice API, discovery.k8s.io/v1 EndpointConditions: "ready should never be 'true' for
// terminating endpoints"), so the readiness probe's period × failureThreshold does not lengthen the
// wait after a deletion and is not part of the sum.
// The grace period counts from the deletion, preStop included (kubernetes.io "Termination of Pods"),
// so preStop + the app's drain deadline + a margin must fit inside terminationGracePeriodSeconds.

export const PRESTOP_FACTOR = 3;
/** the drain window tune recommends: 3 × the longest request class's p99 */
export const DRAIN_FACTOR = 3;
/** the smallest margin doctor accepts between the end of the drain deadline and the SIGKILL */
export const CHECK_MARGIN_S = 1;
/** the margin a recommendation leaves: 25 % of preStop + deadline, at least 2 s */
export const MARGIN_FRACTION = 0.25;
export const MARGIN_MIN_S = 2;

// 3 × 0.1 is 0.30000000000000004 in floating point; round to the microsecond before ceil
const ceilS = (x: number) => Math.ceil(Number(x.toFixed(6)));

/** preStop.sleep.seconds for a deregistration delay p99 (whole seconds, as the native sleep action takes). */
export function preStopFor(deregistrationP99S: number): number {
  return ceilS(PRESTOP_FACTOR * deregistrationP99S);
}

/** The drain window for the longest request class's p99, whole seconds. */
export function drainWindowFor(longestP99S: number): number {
  return ceilS(DRAIN_FACTOR * longestP99S);
}

/** The margin a recommendation adds over preStop + the shutdown deadline. */
export function marginFor(preStopS: number, deadlineS: number): number {
  return Math.max(MARGIN_MIN_S, ceilS(MARGIN_FRACTION * (preStopS + deadlineS)));
}

/** terminationGracePeriodSeconds recommended for a preStop and a drain deadline (from SIGTERM). */
export function graceFor(preStopS: number, deadlineS: number): number {
  return ceilS(preStopS + deadlineS + marginFor(preStopS, deadlineS));
}

/** Whether preStop + deadline end at least CHECK_MARGIN_S before the SIGKILL. */
export function fitsGrace(preStopS: number, deadlineS: number, graceS: number): boolean {
  return preStopS + deadlineS + CHECK_MARGIN_S <= graceS;
}
