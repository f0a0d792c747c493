// The long-lived experiment's command line and manifest sizing: bad input is refused before
// anything starts or is written; the sizing follows the deregistration delay.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { isLabError } from '../../common/errors.js';
import { longLived } from '../../lab/experiments/long-lived/main.js';
import { sizeService } from '../../lab/experiments/long-lived/manifest.js';
import { parseLongLivedArgs, QUICK_DEREGISTRATION_S } from '../../lab/experiments/long-lived/options.js';
import { ROOT } from '../helpers/proc.js';

test('defaults: the scaled-down deregistration delay, 3 deploys, both arms', () => {
  const a = parseLongLivedArgs([]);
  assert.equal(a.deregistrationS, QUICK_DEREGISTRATION_S);
  assert.equal(a.deploys, 3);
  assert.deepEqual(a.arms, ['before', 'after']);
  assert.equal(parseLongLivedArgs(['--deregistration-s=600', '--arms', 'after']).deregistrationS, 600);
  assert.deepEqual(parseLongLivedArgs(['--arms', 'after,before']).arms, ['before', 'after']);
  assert.equal(parseLongLivedArgs(['--upload-every-ms', '0']).uploadEveryMs, 0);
});

test('out-of-range or malformed options are LAB_BAD_OPTION naming the flag and its range', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--deregistration-s', '0'], /--deregistration-s 0 is out of range 1\.\.3600/],
    [['--deregistration-s', '3601'], /--deregistration-s 3601 is out of range 1\.\.3600/],
    [['--deregistration-s', 'x5'], /--deregistration-s needs an integer 1\.\.3600/],
    [['--deregistration-s', '1.5'], /needs an integer/],
    [['--deregistration-s'], /got nothing/],
    [['--upload-every-ms', '50'], /0 or 100\.\.60000/],
    [['--arms', 'sideways'], /valid values are before, after/],
    [['--target', 'kind'], /must be one of local/],
    [['--deregistration-s', '1', '--propagation-delay-ms', '5000'], /shorter than --propagation-delay-ms/],
    [['--frobnicate'], /unknown option "--frobnicate"/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseLongLivedArgs(argv), (e: unknown) => isLabError(e, 'LAB_BAD_OPTION') && re.test((e as Error).message), argv.join(' '));
  }
});

test('a bad --deregistration-s exits 2 and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'll-opts-'));
  try {
    assert.equal(await longLived(['--deregistration-s', '99999', '--results-dir', dir]), 2);
    assert.equal(existsSync(join(dir, 'long-lived')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sizing: after gets preStop = deregistration + 1 s, deadline = drain delay + window + 2 s, grace = preStop + deadline + 2 s; before keeps no preStop', () => {
  const load = (arm: string) => parseAllDocuments(readFileSync(join(ROOT, 'k8s/rendered', `${arm}.yaml`), 'utf8')).map((d) => d.toJS()).filter(Boolean);
  const docs = load('after');
  const o = sizeService(docs, 'after', { deregistrationS: 600, drainWindowS: 20, uploadBytesPerS: 131072 });
  assert.equal(o.preStopSleepSeconds, 601);
  const dep = docs.find((d: any) => d.kind === 'Deployment' && d.metadata.name === 'service');
  const c = dep.spec.template.spec.containers[0];
  const env = (n: string) => c.env.find((e: any) => e.name === n)?.value;
  assert.equal(c.lifecycle.preStop.sleep.seconds, 601);
  assert.equal(Number(env('SHUTDOWN_DEADLINE_MS')), Number(env('DRAIN_DELAY_MS')) + 20_000 + 2000);
  assert.equal(dep.spec.template.spec.terminationGracePeriodSeconds, 601 + Math.ceil(Number(env('SHUTDOWN_DEADLINE_MS')) / 1000) + 2);
  assert.equal(env('STREAM_DRAIN_MS'), '20000');
  const b = load('before');
  const ob = sizeService(b, 'before', { deregistrationS: 600, drainWindowS: 20, uploadBytesPerS: 131072 });
  assert.equal(ob.preStopSleepSeconds, null);
  assert.equal(b.find((d: any) => d.kind === 'Deployment' && d.metadata.name === 'service').spec.template.spec.containers[0].lifecycle, undefined);
});
