import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../../common/errors.js';
import type { TimelineEvent } from '../../engine/schema.js';
import { onTeardown } from '../../engine/teardown.js';
import { LocalCluster } from '../../targets/local/cluster.js';
import type { ConnEvent, ReconnectPolicy, Req } from './client.js';
import { ClientHost } from './client-host.js';
import { SERVICE } from './manifest.js';
import type { Establishment } from './population.js';
import { PodSampler, type Sample } from './sampler.js';

// One arm on a fresh local cluster: N clients connected, paced, then one rolling restart of the
// service Deployment (surge on: a new, cold pod first, then each old pod drains and closes its
// keep-alive connections, at once or spread over CLOSE_JITTER_MS). The clients run on a worker
// thread (client-worker.ts) so the local target's control plane keeps its own event loop.

export const PHASES = { warmupMs: 5000, baselineMs: 10_000, settleMs: 15_000, cooldownMs: 5000 } as const;
/** Connecting everyone is bounded by 50 ms a client, at least a minute (TLS at ~100 handshakes/s on a busy 2-core host). */
export const establishTimeoutMs = (clients: number) => Math.max(60_000, clients * 50);

export interface ArmOptions {
  name: 'synchronized' | 'jittered';
  manifestText: string;
  closeJitterMs: number;
  clients: number;
  paceMs: number;
  tls: boolean;
  policy: ReconnectPolicy;
  workDir: string;
  runId: string;
  progress: (phase: string) => void;
}

export interface Interval { start: number; end: number }

export interface ArmRun {
  name: ArmOptions['name'];
  closeJitterMs: number;
  establishment: Establishment;
  baseline: Interval;
  rollout: Interval;
  /** every client connected again after the rollout (false = not within settleMs) */
  settled: boolean;
  conns: ConnEvent[];
  reqs: Req[];
  /** the client thread's own event-loop delay, max per 100 ms: latency the clients add themselves */
  clientDelays: Array<{ t: number; maxMs: number }>;
  samples: Sample[];
  podsCreatedAt: Record<string, number>;
  events: TimelineEvent[];
  notes: string[];
}

async function waitEndpoints(c: LocalCluster, replicas: number): Promise<void> {
  const deadline = Date.now() + c.propagationDelayMs + 15_000;
  while (c.view(SERVICE).endpoints().length < replicas) {
    if (Date.now() > deadline) throw new LabError('LAB_TIMEOUT', `the routing view of Service/${SERVICE} did not list ${replicas} pods in time`);
    await sleep(50);
  }
}

export async function runArm(o: ArmOptions): Promise<ArmRun> {
  const runDir = join(o.workDir, `${o.runId}-${o.name}`);
  mkdirSync(runDir, { recursive: true });
  const manifestFile = join(runDir, 'manifest.yaml');
  writeFileSync(manifestFile, o.manifestText);
  let cluster: LocalCluster | undefined;
  let pop: ClientHost | undefined;
  let sampler: PodSampler | undefined;
  const teardown = async () => { await pop?.close(); await sampler?.close(); await cluster?.close(); };
  const unregister = onTeardown(teardown);
  try {
    o.progress('starting the local cluster');
    cluster = await LocalCluster.start({ manifestFile, runDir });
    const c = cluster;
    const replicas = c.manifest.deployments.find((d) => d.name === SERVICE)?.replicas ?? 1;
    await waitEndpoints(c, replicas);
    const ports = c.manifest.services.find((s) => s.name === SERVICE)?.ports ?? [];
    const portIndex = o.tls ? ports.findIndex((p) => p.name === 'https') : 0;
    if (portIndex < 0) throw new LabError('LAB_MISSING_MANIFEST', `Service/${SERVICE} has no https port in the generated manifest`);
    sampler = new PodSampler(c);
    sampler.start();
    pop = new ClientHost({ clients: o.clients, portIndex, tls: o.tls, policy: o.policy }, c.view(SERVICE), (n) => o.progress(`connecting: ${n}/${o.clients}`));
    o.progress(`connecting ${o.clients} clients`);
    const establishment = await pop.establish(establishTimeoutMs(o.clients));
    o.progress(`${o.clients} connected in ${establishment.ms} ms (${establishment.perSecond}/s); warm-up`);
    pop.startRequests(o.paceMs);
    await sleep(PHASES.warmupMs);
    o.progress('baseline');
    const baseline = { start: Date.now(), end: 0 };
    await sleep(PHASES.baselineMs);
    baseline.end = Date.now();
    o.progress(`rolling restart of Deployment/${SERVICE} (CLOSE_JITTER_MS=${o.closeJitterMs})`);
    const rollout = { start: Date.now(), end: 0 };
    await c.rolloutRestart([SERVICE]);
    rollout.end = Date.now();
    o.progress('waiting for every client to be connected again');
    const settle = await pop.settle(PHASES.settleMs);
    o.progress('cool-down');
    await sleep(PHASES.cooldownMs);
    const notes = [...c.notes];
    if (!settle.ok) {
      notes.push(settle.connected < 0
        ? `${o.name}: the client thread did not answer within ${PHASES.settleMs + 30_000} ms after the rollout (its event loop was saturated)`
        : `${o.name}: ${o.clients - settle.connected} clients were still not connected ${PHASES.settleMs} ms after the rollout`);
    }
    const recorded = await pop.close();
    await sampler.close();
    if (!recorded) throw new LabError('LAB_TIMEOUT', 'the client worker did not hand back its records');
    const run: ArmRun = {
      name: o.name, closeJitterMs: o.closeJitterMs, establishment, baseline, rollout, settled: settle.ok,
      conns: recorded.conns, reqs: recorded.reqs, clientDelays: recorded.delays, samples: sampler.samples, podsCreatedAt: sampler.createdAt, events: [...c.events], notes,
    };
    await teardown();
    return run;
  } catch (err) {
    await teardown();
    throw err;
  } finally {
    unregister();
  }
}
