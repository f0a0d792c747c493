import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { isLabError } from '../../common/errors.js';
import type { RequestRecord } from '../../loadtest/records.js';
import { measureDeregistration, ingressFrom } from '../../lab/engine/deregistration.js';
import { writeComponent } from '../../lab/experiments/tune/component.js';
import { recommend } from '../../lab/experiments/tune/recommend.js';
import { armTiming, renderedArm, writeVariant } from '../../lab/experiments/tune/variant.js';
import { parseManifest } from '../../lab/targets/local/manifest.js';
import { ROOT } from '../helpers/proc.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'lab-tune-'));
const rec = (route: string, ms: number, status = 200): RequestRecord => ({ t_sched: 0, t_start: 0, t_end: ms, route, path: 'l4', status, class: 'ok' });

describe('tune', () => {
  it('bad input exits 2 naming the problem, and writes nothing', () => {
    const dir = tmp();
    const out = join(dir, 'out');
    try {
      const cases: Array<[string[], RegExp]> = [
        [['--sweep', '0,half,1'], /LAB_BAD_OPTION: .*--sweep step "half" is not a number/],
        [['--sweep', '0,11'], /--sweep step 11 is out of range 0\.\.10/],
        [['--propagation-delay-ms', '20001'], /--propagation-delay-ms 20001 is out of range 0\.\.20000/],
        [['--second-propagation-delay-ms', 'soon'], /--second-propagation-delay-ms needs an integer 0\.\.20000, got "soon"/],
        [['--arm', 'before'], /LAB_NEEDS_READINESS: .*arm before has no readiness lever.*arms with it: ladder-2-readiness/],
        [['--arm', 'nope'], /LAB_UNKNOWN_ARM/],
        [['--frobnicate'], /unknown option "--frobnicate"/],
        [['--rate='], /--rate needs an integer 1\.\.2000, got ""/],
      ];
      for (const [args, re] of cases) {
        const r = spawnSync(process.execPath, ['dist/lab/cli.js', 'tune', ...args, '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
        assert.equal(r.status, 2, `${args.join(' ')} → ${r.status} ${r.stderr}`);
        assert.match(r.stderr, re, args.join(' '));
        assert.match(r.stderr, /usage: npm run lab -- tune/);
      }
      assert.ok(!existsSync(out), 'nothing was written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('recommends 3 × p99 preStop, 3 × the longest class p99 drain window and a grace covering both', () => {
    const d = measureDeregistration(
      [{ pod: 'a', leftAt: 0, routingStoppedAt: null }, { pod: 'b', leftAt: 0, routingStoppedAt: null }],
      new Map([['a', [{ remote: 'i', reused: true, n: 1, first: 900, last: 900 }]], ['b', [{ remote: 'i', reused: true, n: 1, first: 1234, last: 1234 }]]]),
      ingressFrom(new Set(['i'])),
    );
    const records = [rec('fast', 5), rec('slow', 1000), rec('slow', 1100), rec('work', 20), rec('slow', 9000, 502)];
    const r = recommend(d, records, { preStopSeconds: 3, shutdownDeadlineMs: 6000, drainDelayMs: 1000, terminationGracePeriodSeconds: 10 });
    assert.equal(r.deregistrationDelayP99Ms, 1231, 'p99 of [900, 1234] with k6\'s estimator');
    assert.equal(r.preStopSeconds, 4, 'ceil(3 × 1.231 s)');
    assert.deepEqual(r.longest, { route: 'slow', count: 2, p99Ms: 1099 }, 'a 502 says nothing about how long the route takes');
    assert.equal(r.drainDeadlineSeconds, 4, 'ceil(3 × 1.099 s)');
    assert.equal(r.shutdownDeadlineMs, 5000, 'drain delay 1 s + 4 s');
    assert.equal(r.marginSeconds, 3, '25 % of 9 s, rounded up');
    assert.equal(r.terminationGracePeriodSeconds, 12);
    assert.ok(r.reasoning.some((l) => l.includes('p99 1231 ms')));
  });

  it('refuses to recommend when nothing reached a terminating pod (LAB_NOT_MEASURABLE, no number)', () => {
    const d = measureDeregistration([{ pod: 'a', leftAt: 1000, routingStoppedAt: null }], new Map(), ingressFrom(new Set()));
    const arm = { preStopSeconds: 3, shutdownDeadlineMs: 6000, drainDelayMs: 1000, terminationGracePeriodSeconds: 10 };
    assert.throws(() => recommend(d, [rec('fast', 5)], arm), (e) => isLabError(e, 'LAB_NOT_MEASURABLE') && /none of the 1 pods/.test(e.message));
    assert.throws(() => recommend(undefined, [rec('fast', 5)], arm), (e) => isLabError(e, 'LAB_NOT_MEASURABLE'));
  });

  it('builds variants from the rendered arm: only the three service fields change', () => {
    const dir = tmp();
    try {
      const file = writeVariant(renderedArm('after'), { preStopSeconds: 7, shutdownDeadlineMs: 4500, terminationGracePeriodSeconds: 19 }, join(dir, 'v.yaml'), 'test');
      const m = parseManifest(readFileSync(file, 'utf8'), file);
      const svc = m.deployments.find((d) => d.name === 'service')!;
      assert.deepEqual(svc.template.container.preStop, { sleepSeconds: 7 });
      assert.equal(svc.template.terminationGracePeriodSeconds, 19);
      assert.equal(armTiming(file).shutdownDeadlineMs, 4500);
      const orig = parseAllDocuments(readFileSync(renderedArm('after'), 'utf8')).map((d) => d.toJS());
      const vari = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
      assert.equal(vari.length, orig.length);
      const worker = (docs: any[]) => docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'worker');
      assert.deepEqual(worker(vari), worker(orig), 'the worker is untouched');
      assert.deepEqual(armTiming(renderedArm('after')), { preStopSeconds: 3, shutdownDeadlineMs: 6000, drainDelayMs: 1000, terminationGracePeriodSeconds: 10 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a kustomize component that kustomize applies to the rendered arm', (t) => {
    const has = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (has.status !== 0) { t.skip('kubectl (with kustomize) not installed'); return; }
    const dir = tmp();
    try {
      const r = { preStopSeconds: 5, shutdownDeadlineMs: 4000, terminationGracePeriodSeconds: 12, reasoning: ['test'] } as Parameters<typeof writeComponent>[1];
      writeComponent(join(dir, 'component'), r, 'a test');
      mkdirSync(join(dir, 'overlay'));
      copyFileSync(renderedArm('after'), join(dir, 'overlay', 'after.yaml'));
      writeFileSync(join(dir, 'overlay', 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [after.yaml]\ncomponents: [../component]\n');
      const out = execFileSync('kubectl', ['kustomize', join(dir, 'overlay')], { encoding: 'utf8' });
      const svc = parseManifest(out).deployments.find((d) => d.name === 'service')!;
      assert.deepEqual(svc.template.container.preStop, { sleepSeconds: 5 });
      assert.equal(svc.template.terminationGracePeriodSeconds, 12);
      const env = parseAllDocuments(out).map((d) => d.toJS()).find((d: any) => d?.kind === 'Deployment' && d.metadata.name === 'service').spec.template.spec.containers[0].env;
      assert.equal(env.find((e: any) => e.name === 'SHUTDOWN_DEADLINE_MS').value, '4000');
      assert.ok(env.find((e: any) => e.name === 'DRAIN_DELAY_MS'), 'other env entries are kept (merged by name)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
