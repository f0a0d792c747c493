import type { ErrorClass } from '../../../loadtest/classes.js';
import type { RequestRecord } from '../../../loadtest/records.js';
import type { Lever } from '../../../common/levers.js';
import { routableDuring, servingDuring, type RunModel } from './run-model.js';

// Each failed request attributed to the mechanism the evidence shows at its moment — not to the
// lever its arm lacks. The request's moment is its life [start, end]: a refused connect or a 502 was
// routed somewhere in it, a reset ended it.

/** A SIGKILL this close to a failure's end counts as its cause (the local target logs both in ms). */
export const SIGKILL_NEAR_MS = 250;

export const MECHANISMS = {
  sigkill: { label: 'SIGKILL of its connection', lever: 'pid1', text: 'the pod was SIGKILLed within ±250 ms of the failure: the grace period ran out with the request open' },
  outage: { label: 'no pod serving (outage)', lever: 'readiness', text: 'the serving probe saw 0 service pods accepting a TCP connection: old pods had closed and the new ones did not listen yet' },
  'not-listening': { label: 'routed to a pod not yet listening', lever: 'readiness', text: 'the routing view listed a new pod that did not listen yet (Ready before listening: no readiness probe)' },
  closed: { label: 'routed to a pod already closed (deregistration race)', lever: 'readiness', text: 'the routing view still listed a pod whose listener had closed (endpoint removal lags SIGTERM)' },
  'not-listening-or-closed': { label: 'routed to a pod not yet listening or already closed', lever: 'readiness', text: 'the view listed both a pod not yet listening and a closed one: the evidence cannot tell which got the request' },
  'keepalive-close': { label: 'keep-alive close (reset without SIGKILL)', lever: 'drain', text: 'the server closed a connection the client was using, with no SIGKILL near: an idle/keep-alive close or an exit without a drain' },
  'budget-503': { label: '503 from the shutdown budget', lever: 'drain', text: 'the app answered 503 + Retry-After: the request could not finish in the remaining shutdown budget' },
  unexplained: { label: 'not explained by the evidence', lever: undefined, text: 'none of the above shows at its moment: a finding to investigate' },
} as const satisfies Record<string, { label: string; lever: Lever | undefined; text: string }>;

export type Mechanism = keyof typeof MECHANISMS;

export function mechanismOf(m: RunModel, r: RequestRecord): Mechanism {
  const cls: ErrorClass = r.class;
  if ((cls === 'reset' || cls === 'other' || cls === 'timeout') && m.sigkills.some((k) => Math.abs(k - r.t_end) <= SIGKILL_NEAR_MS)) return 'sigkill';
  const serving = servingDuring(m, r.t_start, r.t_end);
  if (serving?.length && serving.every((n) => n === 0)) return 'outage';
  if (cls === 'refused' || cls === 'http_502') {
    const routable = routableDuring(m, r.t_start, r.t_end);
    const notListening = routable.some((p) => p.listeningAt > r.t_start);
    const closed = routable.some((p) => p.closedAt <= r.t_end);
    if (notListening && closed) return 'not-listening-or-closed';
    if (notListening) return 'not-listening';
    if (closed) return 'closed';
    return 'unexplained';
  }
  if (cls === 'http_503') return 'budget-503';
  if (cls === 'reset') return 'keepalive-close';
  return 'unexplained';
}
