import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { LabError } from '../../../common/errors.js';
import { LocalCluster } from '../../targets/local/cluster.js';
import { onTeardown } from '../../engine/teardown.js';
import type { TimelineEvent } from '../../engine/schema.js';

// One guardian run: the after arm on the local target, a rollout restart of the service, and one
// GET /slow (longer than the grace period) held open on every old service pod. Each old pod's shutdown
// waits for its request until the guardian deadline, which forces exit 70 before the kubelet's SIGKILL.

export interface HeldRequest {
  pod: string;
  /** HTTP status, or 0 when the connection ended without a response */
  status: number;
  error?: string;
  /** ms from sending to the outcome */
  ms: number;
}

export interface GuardianRun {
  runDir: string;
  held: HeldRequest[];
  events: TimelineEvent[];
  rolloutMs: number;
}

async function waitAnswering(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await request(`${url}/fast`, { headersTimeout: 2000, bodyTimeout: 2000 });
      await r.body.arrayBuffer();
      if (r.statusCode === 200) return;
      last = `HTTP ${r.statusCode}`;
    } catch (e) {
      last = String((e as NodeJS.ErrnoException).code ?? e);
    }
    await sleep(100);
  }
  throw new LabError('LAB_TIMEOUT', `${url} did not answer GET /fast within ${timeoutMs} ms (last: ${last})`);
}

function hold(url: string, pod: string, slowMs: number): Promise<HeldRequest> {
  const t0 = Date.now();
  // bounded: the request asks for slowMs; anything past slowMs + 10 s is a hang, not a result
  return request(`${url}/slow?ms=${slowMs}`, { headersTimeout: slowMs + 10_000, bodyTimeout: slowMs + 10_000 })
    .then(async (r) => { await r.body.arrayBuffer(); return { pod, status: r.statusCode, ms: Date.now() - t0 }; })
    .catch((e: NodeJS.ErrnoException) => ({ pod, status: 0, error: String(e.code ?? e.name ?? e), ms: Date.now() - t0 }));
}

export async function runGuardian(o: { manifestFile: string; runDir: string; slowMs: number; say: (s: string) => void }): Promise<GuardianRun> {
  const held: Array<Promise<HeldRequest>> = [];
  let rolling = false;
  let cluster: LocalCluster | undefined;
  // The request starts when the pod starts terminating: during its preStop sleep the app has not had
  // SIGTERM yet and still serves its own address, so the request is in flight at the signal whatever
  // the rollout's pace (a request sent before the rollout could finish before a late pod's turn).
  const onEvent = (e: TimelineEvent) => {
    if (!rolling || e.kind !== 'pod-terminating' || e.deployment !== 'service' || !e.pod || !cluster) return;
    held.push(hold(cluster.serviceUrlFor(e.pod), e.pod, o.slowMs));
  };
  cluster = await LocalCluster.start({ manifestFile: o.manifestFile, runDir: o.runDir, onEvent });
  const c = cluster;
  const unregister = onTeardown(() => c.close());
  try {
    const old = c.readyPods('service');
    if (old.length === 0) throw new LabError('LAB_TIMEOUT', 'no service pod became ready');
    for (const p of old) await waitAnswering(c.serviceUrlFor(p), 30_000);
    o.say(`${old.length} service pods answer; rollout restart of Deployment/service, one GET /slow?ms=${o.slowMs} sent to each old pod as it starts terminating`);
    rolling = true;
    const { durationMs } = await c.rolloutRestart(['service']);
    rolling = false;
    o.say(`rollout done in ${(durationMs / 1000).toFixed(1)} s`);
    const outcomes = await Promise.all(held);
    return { runDir: o.runDir, held: outcomes, events: [...c.events], rolloutMs: durationMs };
  } finally {
    await c.close();
    unregister();
  }
}

export const podsDirOf = (runDir: string) => join(runDir, 'pods');
