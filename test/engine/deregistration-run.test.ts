// A run whose answer is known: with the local target's propagation delay set to 2 s, every
// terminating pod keeps being chosen for ~2 s after it left the endpoints, so the measured
// deregistration delay on NEW connections is near 2 s. Real processes, real sockets, ~40 s.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findArm } from '../../lab/engine/arms.js';
import { runExperiment } from '../../lab/engine/protocol.js';
import { loadScenario } from '../../loadtest/scenario.js';

test('propagation delay 2 s → measured deregistration delay near 2 s on new connections', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-dereg-'));
  chmodSync(dir, 0o755); // the pods run as their manifests' uid 10001 and must reach their run dir in work/
  try {
    const s = loadScenario();
    const scenario = { ...s, phases: { ...s.phases, warmupSeconds: 1, baselineSeconds: 1, deploys: 1, cooldownSeconds: 1 } };
    // no keep-alive: every request opens a new L4 connection, so each one is a routing choice
    const { summary, dir: runDir } = await runExperiment({
      arm: findArm('after'), rep: 1, reps: 1, rate: 30, deploys: 1, propagationDelayMs: 2000, scenario, keepAlive: false,
      resultsDir: join(dir, 'results'), workDir: join(dir, 'work'), command: 'test', batch: 'test',
    });
    const d = summary.deregistration!;
    assert.ok(d.measurable, d.reason);
    const near2s = (ms: number | undefined, what: string) => assert.ok(ms !== undefined && ms >= 1500 && ms <= 2900, `${what} ${ms} ms, expected ~2000`);
    assert.equal(d.pods.length, 3, 'three old service pods left the endpoints');
    near2s(d.byPath.l4.new?.p50Ms, 'L4 new-connection p50');
    near2s(d.byPath.l4.new?.maxMs, 'L4 new-connection max');
    near2s(d.routed?.p99Ms, 'routed p99');
    near2s(d.routingLag?.p50Ms, 'routing view lag p50');
    // and the run's own files carry it: the summary and the timeline's marks
    assert.deepEqual(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).deregistration.routed, d.routed);
    assert.match(readFileSync(join(runDir, 'timeline.svg'), 'utf8'), /last routed request/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
