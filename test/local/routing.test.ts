import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, request } from 'undici';
import { classifyError } from '../../loadtest/classes.js';
import { LocalCluster } from '../../lab/targets/local/cluster.js';
import type { Attempt } from '../../lab/targets/local/ingress.js';
import { deployment, INGRESS_OBJECT, waitForLog, workspace } from './helpers.js';

// The deregistration race end to end: a pod whose listener closes on SIGTERM is still in the
// routing view for propagationDelayMs. L4 clients get a real ECONNREFUSED from it; the ingress
// retries GETs elsewhere but answers 502 to a POST it had already sent on a kept-alive connection.

const DELAY_MS = 4000;

async function l4Get(connect: ReturnType<LocalCluster['l4Connect']>): Promise<string> {
  const client = new Client('http://service.deploy-loss-lab', { connect, pipelining: 1 });
  try {
    const res = await request('http://service.deploy-loss-lab/x', { dispatcher: client });
    return `${res.statusCode} ${JSON.parse(await res.body.text()).pod}`;
  } catch (err) {
    return classifyError(err);
  } finally {
    await client.destroy();
  }
}

describe('routing through the lagged view (real pods, real sockets)', () => {
  test('closed listener still in the view: L4 refused, ingress GET retried, ingress POST 502', async () => {
    const ws = workspace([
      ...deployment({ replicas: 2, maxSurge: 1, maxUnavailable: 0, minReadySeconds: 5, readiness: true, onSigterm: 'close-listener', grace: 4, preStopSleep: 1 }),
      INGRESS_OBJECT,
    ]);
    const attempts: Attempt[] = [];
    const cluster = await LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, propagationDelayMs: DELAY_MS, startTimeoutMs: 30_000, onIngressAttempt: (a) => attempts.push(a) });
    let rollout: Promise<unknown> | undefined;
    try {
      const before = cluster.readyPods('service').map((p) => p.name);
      assert.equal(before.length, 2);
      rollout = cluster.rolloutRestart(['service']).catch((e: Error) => e);
      // Keep the ingress's upstream keep-alive pool warm (one connection per pod; Node closes idle
      // ones after 5 s) until an old pod is deleted; its preStop sleep (1 s) keeps it serving while
      // the warm-up stops, so its pooled connection is still idle when SIGTERM closes the listener.
      const deadline = Date.now() + 20_000;
      const deleted = () => cluster.events.find((e) => e.kind === 'pod-terminating' && before.includes(e.pod ?? ''))?.pod;
      while (!deleted() && Date.now() < deadline) {
        const r = await request(`${cluster.ingressUrl}/warm`);
        await r.body.text();
        assert.equal(r.statusCode, 200);
        await new Promise((res) => setTimeout(res, 50));
      }
      const victim = deleted();
      while (victim && !cluster.events.some((e) => e.kind === 'sigterm' && e.pod === victim) && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 10));
      }
      assert.ok(victim, 'an old pod got SIGTERM');
      const pod = cluster.pods().find((p) => p.name === victim)!;
      await waitForLog(pod.logFile, /"event":"listener-closed"/);
      assert.equal(cluster.view('service').has(victim), true, 'still in the routing view');
      const windowEnds = cluster.events.find((e) => e.kind === 'endpoint-removed' && e.pod === victim)!.t + DELAY_MS;

      const l4 = cluster.l4Connect('service');
      const outcomes: string[] = [];
      for (let i = 0; i < 40 && !outcomes.includes('refused'); i++) outcomes.push(await l4Get(l4));
      assert.ok(outcomes.includes('refused'), `an L4 connection hit the closed listener: ${outcomes.join(', ')}`);
      assert.ok(outcomes.every((o) => o === 'refused' || o.startsWith('200 ')), outcomes.join(', '));

      attempts.length = 0;
      const posts: number[] = [];
      for (let i = 0; i < 3; i++) posts.push((await request(`${cluster.ingressUrl}/jobs`, { method: 'POST', body: '{}' })).statusCode);
      const gets: number[] = [];
      for (let i = 0; i < 4; i++) { const r = await request(`${cluster.ingressUrl}/x`); await r.body.text(); gets.push(r.statusCode); }
      assert.ok(Date.now() < windowEnds, 'all of the above ran inside the propagation window');
      assert.deepEqual(posts.sort(), [200, 200, 502], `one POST reused the pooled connection to ${victim}: ${JSON.stringify(attempts)}`);
      assert.deepEqual(gets, [200, 200, 200, 200]);
      assert.ok(attempts.some((a) => a.method === 'GET' && a.pod === victim && a.outcome === 'ECONNREFUSED'), 'a GET was tried on the closed pod and retried');
    } finally {
      await cluster.close();
      if (rollout) assert.equal(((await rollout) as { code?: string }).code, 'LAB_CLUSTER_CLOSED');
      ws.remove();
    }
  });
});
