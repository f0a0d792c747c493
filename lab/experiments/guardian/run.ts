import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { LabError } from '../../../common/errors.js';
import { LocalCluster } from '../../targets/local/cluster.js';
import { onTeardown } from '../../engine/teardown.js';
import type { TimelineEvent } from '../../engine/schema.js';

// One guardian run: the after arm on the local target, one GET /slow held open on every service pod
// (longer than the grace period), then a rollout restart of the service. Each old pod's shutdown
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
  const cluster = await LocalCluster.start({ manifestFile: o.manifestFile, runDir: o.runDir });
  const unregister = onTeardown(() => cluster.close());
  try {
    const old = cluster.readyPods('service');
    if (old.length === 0) throw new LabError('LAB_TIMEOUT', 'no service pod became ready');
    for (const p of old) await waitAnswering(cluster.serviceUrlFor(p), 30_000);
    o.say(`${old.length} service pods answer; holding one GET /slow?ms=${o.slowMs} on each`);
    const held = old.map((p) => hold(cluster.serviceUrlFor(p), p.name, o.slowMs));
    await sleep(300); // the requests are in flight before the rollout starts
    o.say('rollout restart of Deployment/service: every old pod has a request that outlives its shutdown deadline');
    const { durationMs } = await cluster.rolloutRestart(['service']);
    o.say(`rollout done in ${(durationMs / 1000).toFixed(1)} s`);
    const outcomes = await Promise.all(held);
    return { runDir: o.runDir, held: outcomes, events: [...cluster.events], rolloutMs: durationMs };
  } finally {
    await cluster.close();
    unregister();
  }
}

export const podsDirOf = (runDir: string) => join(runDir, 'pods');
