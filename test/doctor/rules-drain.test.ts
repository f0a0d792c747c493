import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byId, container, deployment, doctorOn, env, goodServed, service } from './fixtures.js';

const served = (c: Record<string, any>, pod: Record<string, any> = {}, opts = {}) => doctorOn([deployment('app', c, {}, pod), service('app')], opts);

test('drain-disabled: the lab service without drain in LAB_FIXES is found; with drain, not', async () => {
  const lab = (fixes: string) => goodServed({ command: ['node', 'dist/service/main.js'], env: env({ LAB_FIXES: fixes, SHUTDOWN_DEADLINE_MS: '6000' }) });
  const [f] = byId(await served(lab('pid1,readiness'), { terminationGracePeriodSeconds: 10 }), 'drain-disabled');
  assert.ok(f);
  assert.match(f.why, /LAB_FIXES lacks drain/);
  assert.deepEqual(byId(await served(lab('all'), { terminationGracePeriodSeconds: 10 }), 'drain-disabled'), []);
});

test('drain-exceeds-grace: preStop + SHUTDOWN_DEADLINE_MS + 1 s margin over the grace period is found; fitting is not', async () => {
  const c = (ms: string) => goodServed({ env: env({ SHUTDOWN_DEADLINE_MS: ms }) });
  const [f] = byId(await served(c('8000'), { terminationGracePeriodSeconds: 10 }), 'drain-exceeds-grace');
  assert.ok(f);
  assert.equal(f.path, 'spec.template.spec.terminationGracePeriodSeconds');
  assert.match(f.why, /preStop 3 s \+ drain deadline 8 s \(SHUTDOWN_DEADLINE_MS\) \+ 1 s margin = 12 s exceeds terminationGracePeriodSeconds 10 s/);
  assert.deepEqual(byId(await served(c('6000'), { terminationGracePeriodSeconds: 10 }), 'drain-exceeds-grace'), []);
  // without a grace period Kubernetes' default 30 s applies
  assert.deepEqual(byId(await served(c('8000')), 'drain-exceeds-grace'), []);
});

test('drain-exceeds-grace with --drain-s when no known variable says it', async () => {
  const c = goodServed({ env: undefined });
  assert.equal(byId(await served(c, { terminationGracePeriodSeconds: 10 }, { drainS: 9 }), 'drain-exceeds-grace').length, 1);
  assert.deepEqual(byId(await served(c, { terminationGracePeriodSeconds: 10 }, { drainS: 5 }), 'drain-exceeds-grace'), []);
});

test('drain-deadline-unknown: a served app with no known deadline is an info; --drain-s or a known variable removes it', async () => {
  const c = goodServed({ env: undefined });
  const [f] = byId(await served(c), 'drain-deadline-unknown');
  assert.ok(f);
  assert.equal(f.severity, 'info');
  assert.deepEqual(byId(await served(c, {}, { drainS: 5 }), 'drain-deadline-unknown'), []);
  assert.deepEqual(byId(await served(goodServed({ env: env({ SHUTDOWN_TIMEOUT_SECONDS: '5' }) })), 'drain-deadline-unknown'), []);
  assert.deepEqual(byId(await doctorOn([deployment('app', container({ ports: undefined }))]), 'drain-deadline-unknown'), []);
});

test('drain-prestop-exceeds-grace: preStop at or over the grace period is flagged even when the drain deadline is unknown', async () => {
  const c = (s: number) => goodServed({ env: undefined, lifecycle: { preStop: { sleep: { seconds: s } } } });
  // preStop 40 s under the default 30 s: SIGKILL before SIGTERM
  const [f] = byId(await served(c(40)), 'drain-prestop-exceeds-grace');
  assert.ok(f);
  assert.match(f.why, /preStop 40 s leaves 0 s of default terminationGracePeriodSeconds 30 s.*SIGKILLed before it ever gets SIGTERM/);
  // the fix keeps the 30 s the author meant for the app after SIGTERM
  assert.deepEqual(f.patch, [{ path: ['spec', 'template', 'spec', 'terminationGracePeriodSeconds'], value: 70 }]);
  // preStop 3 s with grace 2
  const [g] = byId(await served(c(3), { terminationGracePeriodSeconds: 2 }), 'drain-prestop-exceeds-grace');
  assert.ok(g);
  assert.equal(g.severity, 'error');
  // preStop 3 s with grace 10 leaves room: not flagged
  assert.deepEqual(byId(await served(c(3), { terminationGracePeriodSeconds: 10 }), 'drain-prestop-exceeds-grace'), []);
  // not served (a worker) with preStop over grace: still flagged, SIGKILL does not care who routes to it
  assert.equal(byId(await doctorOn([deployment('w', container({ ports: undefined, lifecycle: { preStop: { sleep: { seconds: 40 } } } }))]), 'drain-prestop-exceeds-grace').length, 1);
});

test('drain-exceeds-grace: the fix raises the grace period to fit preStop + drain + a margin, as a patch', async () => {
  const [f] = byId(await served(goodServed({ env: env({ SHUTDOWN_DEADLINE_MS: '8000' }) }), { terminationGracePeriodSeconds: 10 }), 'drain-exceeds-grace');
  const grace = f!.patch![0]!.value as number;
  assert.ok(grace >= 3 + 8 + 1, String(grace));
  assert.match(f!.fix, new RegExp(`Raise terminationGracePeriodSeconds to ${grace} \\(preStop 3 s \\+ drain deadline 8 s \\+ a margin\\), or set the drain deadline to at most 6 s`));
});
