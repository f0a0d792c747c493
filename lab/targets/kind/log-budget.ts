import { LabError } from '../../../common/errors.js';
import { K6_REQ_LINE } from './constants.js';

// The k6 pod's log is the record of every request (LAB_REQ lines), and the kubelet rotates a
// container log at containerLogMaxSize (10 MiB by default); the logs API returns only the current
// file, so a plan whose lines outgrow it would lose the first requests. Such a plan is refused
// before anything starts; a log cut short anyway is caught by comparing the lines with k6's count
// (lab/engine/coverage.ts).

/** kubelet's default containerLogMaxSize */
export const KUBELET_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** the share of it the request lines may fill: the rest is for LAB_JOB lines, the summary, k6's own messages */
export const LOG_BUDGET_FRACTION = 0.9;
/** what the container runtime adds per line on the node: `2026-12-02T07:11:36.123456789+01:00 stdout F ` */
const CRI_PREFIX_BYTES = '2026-12-02T07:11:36.123456789+01:00 stdout F '.length;

/** A pod name as Kubernetes makes them for a Deployment's pods: `<deployment>-<10-char ReplicaSet hash>-<5 chars>`. */
const POD_NAME = 'service-5d8f7c9b6d-x2k4q';

/** Bytes one request takes in the node's log file: a successful request with a 5-digit duration on the longest route name, answered by a pod. */
export function requestLineBytes(routeNames: readonly string[], paths: readonly string[]): number {
  const name = routeNames.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a), '');
  const path = paths.includes('ingress') ? 'ingress' : 'l4';
  return CRI_PREFIX_BYTES + Buffer.byteLength(`${K6_REQ_LINE} ${JSON.stringify([Date.now(), 12345, name, path, 200, 'ok', 0, 1, 1, POD_NAME])}\n`);
}

export interface LogPlan { rate: number; seconds: number; routeNames: readonly string[]; paths: readonly string[]; jobLineBytes?: number; jobFraction?: number }

export function plannedLogBytes(p: LogPlan): number {
  const requests = Math.ceil(p.rate * p.seconds);
  return requests * (requestLineBytes(p.routeNames, p.paths) + (p.jobFraction ?? 0) * (p.jobLineBytes ?? 0));
}

/** Throws LAB_LOG_BUDGET naming the largest rate that fits, when the plan's lines would outgrow the rotation size. */
export function checkLogBudget(p: LogPlan, flags: string): void {
  const bytes = plannedLogBytes(p);
  const budget = KUBELET_LOG_MAX_BYTES * LOG_BUDGET_FRACTION;
  if (bytes <= budget) return;
  const maxRate = Math.floor((p.rate * budget) / bytes);
  throw new LabError('LAB_LOG_BUDGET', `${flags}: about ${(bytes / 2 ** 20).toFixed(1)} MiB of request lines (${Math.ceil(p.rate * p.seconds)} requests over ${p.seconds} s) would outgrow the ${KUBELET_LOG_MAX_BYTES / 2 ** 20} MiB the kubelet keeps of the k6 pod's log; use a rate up to ${maxRate}/s or fewer deploys; nothing was started`);
}
