import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isLabError } from '../../common/errors.js';
import { parseOptions } from '../../lab/engine/args.js';
import { parseManifest } from '../../lab/targets/local/manifest.js';
import { checkEntryPoint } from '../../lab/tools/check/entry-point.js';
import { localize, toYaml } from '../../lab/tools/check/localize.js';
import { verdictOf } from '../../lab/tools/check/report.js';
import { VERDICT_EXIT } from '../../lab/tools/check/verdicts.js';
import { CHECK_USAGE, parseCheckOptions } from '../../lab/tools/check/options.js';
import { localCoverage } from '../../lab/engine/coverage.js';
import { parseRoute } from '../../lab/tools/check/routes.js';
import { readUserManifests } from '../../lab/tools/check/user-manifests.js';
import { ROOT } from '../helpers/proc.js';
import type { RunSummary } from '../../lab/engine/schema.js';

describe('check pieces', () => {
  it('parses routes with body and weight', () => {
    const r = parseRoute('post:/orders@examples/order.json*2.5', ROOT);
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/orders');
    assert.equal(r.weight, 2.5);
    assert.equal(r.contentType, 'application/json');
    assert.match(r.body!, /book/);
    assert.equal(parseRoute('GET:/a?b=1', ROOT).body, undefined);
    assert.equal(parseRoute('DELETE:/a', ROOT).body, '', 'never the lab\'s job payload');
    assert.throws(() => parseRoute('GET /a', ROOT), (e) => isLabError(e, 'LAB_BAD_ROUTE'));
    assert.throws(() => parseRoute('GET:/a*0', ROOT), (e) => isLabError(e, 'LAB_BAD_ROUTE'));
  });

  it('localizes: workingDir → /app, the pod address as HOST/POD_IP, --env, HTTPRoute → Ingress, a Namespace', () => {
    const user = readUserManifests(join(ROOT, 'test/check/app/deploy'));
    const { objects, notes } = localize(user, 'ping', { EXTRA: '1' });
    const m = parseManifest(toYaml(objects));
    assert.equal(m.namespace, 'tools');
    const c = m.deployments[0]!.template.container;
    assert.equal(c.workingDir, '/app');
    assert.deepEqual(c.env.filter((e) => ['HOST', 'POD_IP'].includes(e.name)).map((e) => e.source), [{ fieldRef: 'status.podIP' }, { fieldRef: 'status.podIP' }]);
    assert.deepEqual(c.env.find((e) => e.name === 'EXTRA')!.source, { value: '1' });
    assert.equal(m.ingresses[0]!.rules[0]!.paths[0]!.backend.service, 'ping');
    assert.ok(notes.some((n) => n.startsWith('ServiceAccount/ping: not run locally')));
  });

  it('rewrites the image workingDir in the command and follows npm start to the file', () => {
    const user = readUserManifests(join(ROOT, 'examples/naive/k8s'));
    const { objects } = localize(user, 'orders', {});
    const c = parseManifest(toYaml(objects)).deployments[0]!.template.container;
    checkEntryPoint(c.command!, join(ROOT, 'examples/naive'), 'Deployment/orders');
    assert.throws(() => checkEntryPoint(['/bin/sh', '-c', 'exec lab-no-such-runtime -jar app.jar'], ROOT, 'Deployment/x'),
      (e) => isLabError(e, 'LAB_NO_ENTRY_POINT') && /lab-no-such-runtime, which is not on this machine's PATH/.test((e as Error).message));
    assert.throws(() => checkEntryPoint(['node', 'missing.js'], ROOT, 'Deployment/x'), (e) => isLabError(e, 'LAB_NO_ENTRY_POINT'));
  });

  it('a repeatable option keeps every value in order (--route, --env)', () => {
    const spec = { route: { type: 'repeat', help: 'r' } } as const;
    assert.deepEqual(parseOptions(spec, ['--route', 'GET:/a', '--route=POST:/b']).values.route, ['GET:/a', 'POST:/b']);
    assert.deepEqual(parseOptions(spec, []).values.route, []);
    assert.throws(() => parseOptions(spec, ['--route']), (e) => isLabError(e, 'LAB_BAD_OPTION') && /--route needs a value/.test((e as Error).message));
  });

  it('the verdict fails only above --max-failed, and passes only on records that cover what was sent', () => {
    const windowCounts = { ok: 10, http_502: 2, http_503: 0, http_5xx_other: 0, reset: 1, refused: 0, timeout: 0, other: 0 };
    const complete = localCoverage({ recorded: 13, sent: 13, dropped: 0, planned: 13, rate: 10 });
    const s = { windowCounts, coverage: complete } as unknown as RunSummary;
    assert.equal(verdictOf(s, 3).pass, true);
    assert.equal(verdictOf(s, 3).line, 'VERDICT: PASS: 3 request(s) failed during the rollouts (--max-failed 3)');
    assert.equal(verdictOf(s, 2).pass, false);
    assert.match(verdictOf(s, 2).line, /^VERDICT: FAIL: 3 request/);
    assert.equal(VERDICT_EXIT[verdictOf(s, 2).kind], 1);
    // fewer records than the generator sent: the 3 failures are a lower bound
    const partial = { windowCounts, coverage: localCoverage({ recorded: 13, sent: 20, dropped: 0, planned: 20, rate: 10 }) } as unknown as RunSummary;
    const v = verdictOf(partial, 3);
    assert.equal(v.kind, 'INCONCLUSIVE');
    assert.equal(VERDICT_EXIT[v.kind], 3);
    assert.match(v.line, /^VERDICT: INCONCLUSIVE: 13 request record\(s\) for the 20 request\(s\) the generator sent/);
    assert.match(verdictOf(partial, 2).line, /^VERDICT: FAIL: 3 request\(s\) failed .*, at least: the data is partial/);
    // a run that says nothing about its coverage never passes
    assert.equal(verdictOf({ windowCounts } as unknown as RunSummary, 100).kind, 'INCONCLUSIVE');
  });

  it('--help states the gate: --max-failed 0 by default, and every exit code, 3 included', () => {
    assert.match(CHECK_USAGE, /--max-failed N +0\.\.1000000: the gate \(a check is one\): .* \(default 0\)$/m);
    assert.match(CHECK_USAGE, /^exit codes: 0 PASS, 1 FAIL .*2 bad input \(nothing started\),\n +3 INCONCLUSIVE \(the records do not cover what was sent/m);
    assert.equal(parseCheckOptions(['--manifests', 'test/check/app/deploy', '--app-dir', 'test/check/app'], ROOT).maxFailed, 0);
  });

  it('local coverage: dropped arrivals and a load short of the plan are named, within the stated tolerance', () => {
    assert.equal(localCoverage({ recorded: 1000, sent: 1000, dropped: 10, planned: 1010, rate: 50 }).complete, true, '1 % dropped is within tolerance');
    const dropped = localCoverage({ recorded: 980, sent: 980, dropped: 30, planned: 1010, rate: 50 });
    assert.deepEqual(dropped.reasons, ['the load generator could not start 30 of the 1010 planned arrivals (over 1 %): the load was lighter than planned']);
    const short = localCoverage({ recorded: 500, sent: 500, dropped: 0, planned: 1000, rate: 50 });
    assert.match(short.reasons[0]!, /accounted for 500 arrivals \(sent \+ dropped\) of the 1000 planned \(tolerance ±13\)/);
  });
});
