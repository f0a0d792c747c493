import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { alive } from './helpers.js';
import { GRACE_S, ignoredSigterm, terminateOnce } from './pid1-termination.js';

// A SIGTERM that PID 1 ignores: the pod lives its whole grace period and is SIGKILLed. Its bounds are
// at least the grace period (which load cannot shorten) and under three times it, so it runs in the
// parallel pass; a handled SIGTERM's exit < 1 s is in pid1.test.ts (serial).

describe('PID 1 ignores SIGTERM (real PID namespaces)', () => {
  const pids: number[] = [];
  after(() => { for (const p of pids) assert.equal(alive(p), false, `pid ${p} left running`); });

  test('shell form: sh is PID 1 without a handler, node never hears SIGTERM, SIGKILL after the whole grace period', async () => {
    const r = await terminateOnce({ form: 'shell', onSigterm: 'graceful' });
    if (r.pid1) pids.push(r.pid1);
    ignoredSigterm(r);
    assert.match(r.log, /"event":"listening"/);
  });

  test('exec form without a handler: node as PID 1 ignores SIGTERM too and is SIGKILLed', async () => {
    const r = await terminateOnce({ form: 'exec', onSigterm: 'none' });
    assert.equal(r.sigkilled, true);
    assert.equal(r.exit.exitCode, 137);
    assert.ok(r.sigtermToExitMs >= GRACE_S * 1000 - 100, `${r.sigtermToExitMs} ms`);
  });
});
