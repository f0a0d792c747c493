import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingressFrom, leftEndpointsFromEvents, measureDeregistration, parseArrivals, type ArrivalBucket, type DeregistrationReport, type EventLike } from './deregistration.js';

// The local target's side of the measurement: pod logs are files under <runDir>/pods/<pod>.log.

export function deregistrationFromPodLogs(events: readonly EventLike[], podsDir: string, deployment: string, ingressSource: string): DeregistrationReport {
  const left = leftEndpointsFromEvents(events, deployment);
  const arrivals = new Map<string, ArrivalBucket[]>();
  for (const l of left) {
    const file = join(podsDir, `${l.pod}.log`);
    if (existsSync(file)) arrivals.set(l.pod, parseArrivals(readFileSync(file, 'utf8')));
  }
  return measureDeregistration(left, arrivals, ingressFrom(new Set(ingressSource ? [ingressSource] : [])));
}
