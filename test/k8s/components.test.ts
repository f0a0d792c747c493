// Each lever's component changes exactly the fields that lever owns, so none can silently grow,
// and the numbers the levers rely on (grace period, preStop, deadline) keep fitting together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARMS, findArm } from '../../lab/engine/arms.js';
import { LEVERS, type Lever } from '../../common/levers.js';
import { changedPaths, containerEnv, copyK8s, hasKubectl, loadRendered, renderLevers, type K8sObject } from './manifests.js';

const SVC = 'Deployment/service:spec.template.spec.containers[service]';
const WRK = 'Deployment/worker:spec.template.spec.containers[worker]';
const FIXES = [`${SVC}.env[LAB_FIXES].value`, `${WRK}.env[LAB_FIXES].value`];

/** What each lever owns: the one place to widen when a lever legitimately needs more (and docs/manifests.md with it). */
const OWNED: Record<Lever, readonly string[]> = {
  pid1: [`${SVC}.command`, `${WRK}.command`],
  readiness: [`${SVC}.readinessProbe`, `${SVC}.lifecycle`, `${SVC}.env[DRAIN_DELAY_MS].value`],
  drain: [`${SVC}.env[SHUTDOWN_DEADLINE_MS].value`, `${WRK}.env[SHUTDOWN_DEADLINE_MS].value`],
  requeue: [`${WRK}.env[SHUTDOWN_DEADLINE_MS].value`],
  surge: [
    'Deployment/service:spec.strategy.rollingUpdate.maxSurge', 'Deployment/service:spec.strategy.rollingUpdate.maxUnavailable',
    'Deployment/worker:spec.strategy.rollingUpdate.maxSurge', 'Deployment/worker:spec.strategy.rollingUpdate.maxUnavailable',
    `${SVC}.env[CLOSE_JITTER_MS].value`,
  ],
};

const sorted = (s: Iterable<string>) => [...s].sort();

test('each component alone changes exactly the fields its lever owns, plus LAB_FIXES', (t) => {
  if (!hasKubectl()) { t.skip('kubectl not found: component render check skipped (the rendered-arm checks below still run)'); return; }
  const copy = copyK8s();
  try {
    const before = renderLevers(copy.k8s, 'before', []);
    for (const lever of LEVERS) {
      const withLever = renderLevers(copy.k8s, lever, [lever]);
      assert.deepEqual(sorted(changedPaths(before, withLever)), sorted([...OWNED[lever], ...FIXES]), `component ${lever}`);
    }
  } finally {
    copy.remove();
  }
});

test('in the rendered arms, adding or removing one lever changes only fields that lever owns, and always LAB_FIXES', () => {
  // Ladder steps and leave-one-out pairs: the lever meets the others, so an overlap between two
  // components (drain and requeue share the worker deadline) may make its diff smaller, never wider.
  const pairs: Array<[string, string, Lever]> = [];
  for (let i = 1; i < LEVERS.length; i++) pairs.push([ARMS[i - 1]!.name, ARMS[i]!.name, LEVERS[i - 1]!]);
  pairs.push(['ladder-4-requeue', 'after', 'surge']);
  for (const l of LEVERS) pairs.push([`without-${l}`, 'after', l]);
  assert.equal(pairs.length, 2 * LEVERS.length);
  for (const [from, to, lever] of pairs) {
    assert.deepEqual(findArm(to).levers.filter((l) => !findArm(from).levers.includes(l)), [lever], `${from} → ${to}`);
    const diff = changedPaths(loadRendered(from), loadRendered(to));
    for (const f of FIXES) assert.ok(diff.has(f), `${from} → ${to}: ${f} unchanged`);
    const foreign = [...diff].filter((p) => !OWNED[lever].includes(p) && !FIXES.includes(p));
    assert.deepEqual(foreign, [], `${from} → ${to} (+${lever}) changed fields ${lever} does not own`);
  }
});

function budget(objects: K8sObject[]) {
  const svc = objects.find((o) => o.metadata.name === 'service' && o.kind === 'Deployment')!.spec.template.spec;
  const wrk = objects.find((o) => o.metadata.name === 'worker' && o.kind === 'Deployment')!.spec.template.spec;
  return {
    graceMs: svc.terminationGracePeriodSeconds * 1000,
    workerGraceMs: wrk.terminationGracePeriodSeconds * 1000,
    preStopMs: (svc.containers[0].lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000,
    deadlineMs: Number(containerEnv(objects, 'service', 'service', 'SHUTDOWN_DEADLINE_MS')),
    drainDelayMs: Number(containerEnv(objects, 'service', 'service', 'DRAIN_DELAY_MS')),
    workerDeadlineMs: Number(containerEnv(objects, 'worker', 'worker', 'SHUTDOWN_DEADLINE_MS')),
  };
}

test('budgets: with drain, preStop + deadline ends >= 1 s before SIGKILL; without it, the naive deadline overruns once preStop exists', () => {
  for (const arm of ARMS) {
    const b = budget(loadRendered(arm.name));
    assert.equal(b.graceMs, 10_000, `${arm.name}: grace period`);
    if (arm.levers.includes('drain')) {
      assert.ok(b.preStopMs + b.deadlineMs <= b.graceMs - 1000, `${arm.name}: ${b.preStopMs} + ${b.deadlineMs} ms vs grace ${b.graceMs}`);
      // The readiness wait happens inside the deadline, so it must leave time for the drain itself.
      assert.ok(b.drainDelayMs < b.deadlineMs / 2, `${arm.name}: drain delay ${b.drainDelayMs} vs deadline ${b.deadlineMs}`);
    }
    if (arm.levers.includes('requeue') || arm.levers.includes('drain')) {
      assert.ok(b.workerDeadlineMs <= b.workerGraceMs - 1000, `${arm.name}: worker ${b.workerDeadlineMs} vs grace ${b.workerGraceMs}`);
    }
  }
  const w = budget(loadRendered('without-drain'));
  assert.ok(w.preStopMs + w.deadlineMs > w.graceMs, 'without-drain shows the overrun drain exists to remove');
});
