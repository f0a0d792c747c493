import type { buildConnector } from 'undici';
import { LocalCluster } from '../targets/local/cluster.js';
import type { RolloutProgress } from '../targets/local/deployment-controller.js';
import type { L7Name } from '../targets/local/l7-profile.js';
import type { Attempt } from '../targets/local/ingress.js';
import type { TimelineEvent } from './schema.js';
import type { PodAddress } from './serving-probe.js';

// The engine's view of a running arm: what the experiment protocol drives (start, roll, watch,
// collect, tear down). The local target implements it here; the kind target drives the same
// protocol through k6 in the cluster (lab/targets/kind/run.ts) and converts to the same schema.

export type { RolloutProgress };

export interface Target {
  readonly ingressUrl: string;
  readonly redisUrl: string;
  readonly events: TimelineEvent[];
  readonly notes: string[];
  readonly propagationDelayMs: number | null;
  /** the address the ingress connects to pods from: a pod's arrivals from it came via the ingress */
  readonly ingressSourceAddress: string;
  l4Connect(service: string): buildConnector.connector;
  /** resolves when every named rollout is complete and its last old pod has exited */
  rolloutRestart(names: string[]): Promise<unknown>;
  readyPods(deployment: string): number;
  /** every not-yet-exited pod's own address (for the serving probe: a TCP connect, no traffic routed) */
  podAddresses(deployment: string): PodAddress[];
  /** endpoints the routing layer currently believes in (the lagged view) */
  viewSize(service: string): number;
  close(): Promise<void>;
}

export interface StartTargetOptions {
  manifestFile: string;
  propagationDelayMs?: number;
  runDir: string;
  onEvent?: (e: TimelineEvent) => void;
  onProgress?: (p: RolloutProgress) => void;
  l7?: L7Name;
  onIngressAttempt?: (a: Attempt) => void;
}

export async function startLocalTarget(opts: StartTargetOptions): Promise<Target> {
  const c = await LocalCluster.start({
    manifestFile: opts.manifestFile, runDir: opts.runDir, onEvent: opts.onEvent, onProgress: opts.onProgress, l7: opts.l7, onIngressAttempt: opts.onIngressAttempt,
    ...(opts.propagationDelayMs !== undefined ? { propagationDelayMs: opts.propagationDelayMs } : {}),
  });
  return {
    get ingressUrl() { return c.ingressUrl; },
    get redisUrl() { return c.redisUrl; },
    events: c.events,
    notes: c.notes,
    propagationDelayMs: c.propagationDelayMs,
    get ingressSourceAddress() { return c.ingressSourceAddress; },
    l4Connect: (service) => c.l4Connect(service),
    rolloutRestart: (names) => c.rolloutRestart(names),
    // the local cluster returns the Pod objects; the engine only needs the count
    readyPods: (d) => c.readyPods(d).length,
    podAddresses: (d) => c.podAddresses(d),
    viewSize: (svc) => c.view(svc).endpoints().length,
    close: () => c.close(),
  };
}
