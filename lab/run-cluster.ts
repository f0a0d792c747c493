import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { buildConnector } from 'undici';
import { LabError } from '../common/errors.js';
import type { TimelineEvent } from './schema.js';

// The engine's view of a target cluster, typed against the "Local target contract" in
// docs/architecture.md. The local target is loaded dynamically so that this module, the CLI and the
// reports work (and fail clearly) when lab/local is absent.

/** The local target's rollout progress (lab/local/deployment-controller.ts), one Deployment at a time. */
export interface RolloutProgress {
  deployment: string;
  replicas?: number;
  updated?: number;
  ready?: number;
  available?: number;
  oldTerminating?: number;
  total?: number;
}

export interface ClusterHandle {
  readonly ingressUrl: string;
  readonly redisUrl: string;
  readonly events: TimelineEvent[];
  readonly notes: string[];
  readonly propagationDelayMs: number | null;
  l4Connect(service: string): buildConnector.connector;
  /** resolves when every named rollout is complete and its last old pod has exited */
  rolloutRestart(names: string[]): Promise<unknown>;
  readyPods(deployment: string): number;
  /** endpoints the routing layer currently believes in (the lagged view) */
  viewSize(service: string): number;
  close(): Promise<void>;
}

export interface StartClusterOptions {
  manifestFile: string;
  propagationDelayMs?: number;
  runDir: string;
  onEvent?: (e: TimelineEvent) => void;
  onProgress?: (p: RolloutProgress) => void;
}

const LOCAL_CLUSTER = fileURLToPath(new URL('./local/cluster.js', import.meta.url));

export function localTargetAvailable(): boolean {
  return existsSync(LOCAL_CLUSTER);
}

export async function startLocalCluster(opts: StartClusterOptions): Promise<ClusterHandle> {
  if (!localTargetAvailable()) {
    throw new LabError('LAB_MISSING_TOOL', `the local target is not built: ${LOCAL_CLUSTER} does not exist (run npm run build)`);
  }
  const mod: any = await import(LOCAL_CLUSTER);
  const LocalCluster = mod.LocalCluster ?? mod.default;
  if (typeof LocalCluster?.start !== 'function') {
    throw new LabError('LAB_MISSING_TOOL', `${LOCAL_CLUSTER} does not export LocalCluster.start`);
  }
  const start: Record<string, unknown> = { manifestFile: opts.manifestFile, runDir: opts.runDir, onEvent: opts.onEvent, onProgress: opts.onProgress };
  if (opts.propagationDelayMs !== undefined) start.propagationDelayMs = opts.propagationDelayMs;
  const c = await LocalCluster.start(start);
  // readyPods returns the Pod objects there; the engine only needs the count
  return {
    get ingressUrl() { return c.ingressUrl; },
    get redisUrl() { return c.redisUrl; },
    events: c.events,
    notes: c.notes,
    propagationDelayMs: c.propagationDelayMs ?? null,
    l4Connect: (service) => c.l4Connect(service),
    rolloutRestart: (names) => c.rolloutRestart(names),
    readyPods: (d) => c.readyPods(d).length,
    viewSize: (svc) => c.view(svc).endpoints().length,
    close: () => c.close(),
  };
}
