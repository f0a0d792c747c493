import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LocalCluster } from '../../lab/targets/local/cluster.js';
import type { TimelineEvent } from '../../lab/engine/schema.js';
import { deployment, waitForLog, workspace, type FixtureApp } from './helpers.js';

// The PID-1 rule through a real rollout: the old pod of a 1-replica Deployment (surge 1) is
// deleted, and what its command makes PID 1 decides whether SIGTERM does anything. Shared by
// pid1.test.ts (a SIGTERM handled: exit < 1 s, the serial pass) and pid1-ignored.test.ts (a SIGTERM
// ignored: the grace period, a lower bound any load keeps; the parallel pass).

export const GRACE_S = 2;

export interface Termination { sigtermToExitMs: number; exit: TimelineEvent; sigkilled: boolean; sigterm: TimelineEvent; log: string; pid1: number | undefined }

export async function terminateOnce(app: FixtureApp, forceIsolationFallback = false): Promise<Termination> {
  const ws = workspace(deployment({ replicas: 1, maxSurge: 1, maxUnavailable: 0, grace: GRACE_S, ...app }));
  try {
    const cluster = await LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, propagationDelayMs: 0, forceIsolationFallback, startTimeoutMs: 20_000 });
    let r: Omit<Termination, 'log'> & { logFile: string };
    try {
      const [old] = cluster.readyPods('service');
      assert.ok(old, 'one ready pod before the rollout');
      const pid1 = old.pid1;
      // Ready comes before the app has run a line (no readiness probe): wait until it listens, so
      // its handler, if any, is installed.
      await waitForLog(old.logFile, /"event":"listening"/);
      await cluster.rolloutRestart(['service']);
      const mine = cluster.events.filter((e) => e.pod === old.name);
      const sigterm = mine.find((e) => e.kind === 'sigterm');
      const exit = mine.find((e) => e.kind === 'pod-exit');
      assert.ok(sigterm && exit, `sigterm and pod-exit recorded: ${JSON.stringify(mine)}`);
      r = { sigtermToExitMs: exit.t - sigterm.t, exit, sigterm, pid1, sigkilled: mine.some((e) => e.kind === 'sigkill'), logFile: old.logFile };
    } finally {
      await cluster.close();
    }
    // The pod log is written through a stream: read it once the kubelet's own pod-exit line is in
    // the file (read right after the rollout, the last lines may still be buffered).
    await waitForLog(r.logFile, /kubelet pod-exit/);
    return { ...r, log: readFileSync(r.logFile, 'utf8') };
  } finally {
    ws.remove();
  }
}

// What the process did, not the label the lab computes from /proc: the app's own log and the exit.
export function ignoredSigterm(r: Termination): void {
  assert.doesNotMatch(r.log, /"event":"signal"/, 'the app handler never ran');
  assert.equal(r.sigkilled, true);
  assert.equal(r.exit.exitCode, 137);
  assert.ok(r.sigtermToExitMs >= GRACE_S * 1000 - 100 && r.sigtermToExitMs < GRACE_S * 1000 * 3, `lived the grace period: ${r.sigtermToExitMs} ms`);
}

export function handledSigterm(r: Termination): void {
  assert.match(r.log, /"event":"signal"/, 'the app handler ran');
  assert.equal(r.sigkilled, false);
  assert.equal(r.exit.exitCode, 0);
  assert.ok(r.sigtermToExitMs < 1000, `exited promptly: ${r.sigtermToExitMs} ms`);
}
