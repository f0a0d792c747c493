import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { buildConnector } from 'undici';
import { LabError } from '../common/errors.js';
import type { TimelineEvent } from './schema.js';

// The engine's view of a target cluster, typed against the "Local target contract" in
// docs/architecture.md. The local target is loaded dynamically so that this module, the CLI and the
// reports work (and fail clearly) when lab/local is absent.

export interface RolloutProgress {
  deployment?: string;
  updated?: number;
  ready?: number;
  available?: number;
  old?: number;
  [k: string]: unknown;
}

export interface ClusterHandle {
  readonly ingressUrl: string;
  readonly redisUrl: string;
  readonly events: TimelineEvent[];
  readonly notes: string[];
  readonly propagationDelayMs?: number;
  l4Connect(service: string): buildConnector.connector;
  rolloutRestart(names?: string[], onProgress?: (p: RolloutProgress) => void): Promise<unknown>;
  readyPods(deployment: string): number;
  close(): Promise<void>;
}

export interface StartClusterOptions {
  manifestFile: string;
  propagationDelayMs?: number;
  runDir: string;
  onEvent?: (e: TimelineEvent) => void;
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
  const start: Record<string, unknown> = { manifestFile: opts.manifestFile, manifest: opts.manifestFile, runDir: opts.runDir, onEvent: opts.onEvent };
  if (opts.propagationDelayMs !== undefined) start.propagationDelayMs = opts.propagationDelayMs;
  return (await LocalCluster.start(start)) as ClusterHandle;
}
