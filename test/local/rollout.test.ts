import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocalCluster } from '../../lab/targets/local/cluster.js';
import { resolveFenceposts } from '../../lab/targets/local/rollout-math.js';
import { deployment, workspace, type FixtureApp } from './helpers.js';

// The Deployment controller's arithmetic, on real pods: how many are Ready at every moment of a
// rolling update of 3 replicas, sampled from the cluster while the rollout runs.

interface Sample { ready: number; total: number }

async function rollAndSample(app: FixtureApp): Promise<{ samples: Sample[]; minReady: number; maxTotal: number; durationMs: number }> {
  const ws = workspace(deployment({ replicas: 3, grace: 5, readiness: true, onSigterm: 'graceful', ...app }));
  const samples: Sample[] = [];
  let rolling = false;
  // Every controller change is reported, so no transition slips between the timer's samples.
  const onProgress = (p: { deployment: string; ready: number; total: number; oldTerminating: number }) => {
    if (rolling && p.deployment === 'service') samples.push({ ready: p.ready, total: p.total - p.oldTerminating });
  };
  const cluster = await LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, propagationDelayMs: 0, startTimeoutMs: 30_000, onProgress });
  try {
    assert.equal(cluster.readyPods('service').length, 3);
    rolling = true;
    const sample = () => samples.push({ ready: cluster.readyPods('service').length, total: cluster.pods().filter((p) => !p.terminating).length });
    const timer = setInterval(sample, 10);
    const rolled = cluster.rolloutRestart(['service']);
    const { durationMs } = await rolled;
    clearInterval(timer);
    sample();
    const fromEvents = cluster.events; // kept for failure messages
    assert.ok(samples.length > 10, `sampled the rollout (${samples.length} samples)`);
    assert.ok(fromEvents.some((e) => e.kind === 'rollout-done'));
    return { samples, minReady: Math.min(...samples.map((s) => s.ready)), maxTotal: Math.max(...samples.map((s) => s.total)), durationMs };
  } finally {
    await cluster.close();
    ws.remove();
  }
}

describe('rolling update (3 replicas, real pods with readiness probes)', () => {
  test('maxSurge 0 / maxUnavailable 1 dips to 2 ready pods and never runs more than 3', async () => {
    const r = await rollAndSample({ maxSurge: 0, maxUnavailable: 1 });
    assert.equal(r.minReady, 2, JSON.stringify(r.samples.slice(0, 50)));
    assert.equal(r.maxTotal, 3);
  });

  test('maxSurge 1 / maxUnavailable 0 never drops below 3 ready pods and surges to 4', async () => {
    const r = await rollAndSample({ maxSurge: 1, maxUnavailable: 0 });
    assert.equal(r.minReady, 3, JSON.stringify(r.samples.slice(0, 50)));
    assert.equal(r.maxTotal, 4);
  });

  test('percentages: 25%/25% of 3 is surge 1 / unavailable 0, so it behaves like the surge lever', async () => {
    assert.deepEqual(resolveFenceposts(3, '25%', '25%'), { maxSurge: 1, maxUnavailable: 0 });
    const r = await rollAndSample({ maxSurge: '25%', maxUnavailable: '25%' });
    assert.equal(r.minReady, 3);
    assert.equal(r.maxTotal, 4);
  });

  test('minReadySeconds holds each step until the new pod has been Ready that long', async () => {
    const r = await rollAndSample({ maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1 });
    // Three sequential steps, each waiting ≥ 1 s of readiness before the next old pod goes.
    assert.ok(r.durationMs >= 3000, `duration ${r.durationMs} ms`);
    assert.equal(r.minReady, 3);
  });
});

describe('rounding of maxSurge/maxUnavailable (deploymentutil.ResolveFenceposts)', () => {
  test('surge rounds up, unavailable rounds down, both zero becomes unavailable 1', () => {
    assert.deepEqual(resolveFenceposts(10, '25%', '25%'), { maxSurge: 3, maxUnavailable: 2 });
    assert.deepEqual(resolveFenceposts(4, '50%', '50%'), { maxSurge: 2, maxUnavailable: 2 });
    assert.deepEqual(resolveFenceposts(1, '10%', '10%'), { maxSurge: 1, maxUnavailable: 0 });
    assert.deepEqual(resolveFenceposts(3, 0, 0), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(resolveFenceposts(3, '0%', '0%'), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(resolveFenceposts(3, 2, 1), { maxSurge: 2, maxUnavailable: 1 });
  });

  test('a value that is neither an integer nor a percentage is a LAB_BAD_MANIFEST naming the field', () => {
    assert.throws(() => resolveFenceposts(3, '25 percent', 0), (e: Error) => /LAB_BAD_MANIFEST.*maxSurge.*25 percent/.test(e.message));
    assert.throws(() => resolveFenceposts(3, 1, -1), (e: Error) => /LAB_BAD_MANIFEST.*maxUnavailable/.test(e.message));
  });
});
