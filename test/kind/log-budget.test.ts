import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLabError } from '../../common/errors.js';
import { checkLogBudget, KUBELET_LOG_MAX_BYTES, plannedLogBytes, requestLineBytes } from '../../lab/targets/kind/log-budget.js';
import { planKind } from '../../lab/targets/kind/run.js';
import { RecordingExecutor } from '../../lab/targets/kind/recording-executor.js';

// The k6 request lines must fit in what the kubelet keeps of the pod's log (10 MiB by default):
// a plan that cannot is refused before anything starts.

describe('k6 log budget', () => {
  it('estimates a line as the node stores it: the runtime prefix and a successful request on the longest route', () => {
    // `2026-12-02T07:11:36.123456789+01:00 stdout F ` + `LAB_REQ [1796197000000,12345,"GET /","l4",200,"ok",0,1,1,"service-5d8f7c9b6d-x2k4q"]\n`
    assert.equal(requestLineBytes(['GET /'], ['l4']), 45 + 85);
    assert.equal(requestLineBytes(['GET /', 'POST /orders/{id}/items'], ['l4', 'ingress']) - requestLineBytes(['GET /'], ['l4']), 18 + 5);
    assert.equal(plannedLogBytes({ rate: 10, seconds: 10, routeNames: ['GET /'], paths: ['l4'] }), 100 * 130);
  });

  it('refuses a plan that outgrows the rotation size, naming the largest rate that fits', () => {
    const plan = { rate: 100, seconds: 1229, routeNames: ['GET /'], paths: ['l4'] };
    assert.ok(plannedLogBytes(plan) > KUBELET_LOG_MAX_BYTES);
    assert.throws(() => checkLogBudget(plan, '--rate 100 --deploys 10'), (e) => isLabError(e, 'LAB_LOG_BUDGET')
      && /^LAB_LOG_BUDGET: .*: --rate 100 --deploys 10: about 15\.2 MiB of request lines \(122900 requests over 1229 s\) would outgrow the 10 MiB .*use a rate up to 59\/s/.test(e.message));
    checkLogBudget({ ...plan, rate: 59 }, 'fits');
  });

  it('the kind target refuses --rate 300 --deploys 20 (k6 itself would fit) before any command or API call', async () => {
    const recorder = new RecordingExecutor();
    await assert.rejects(planKind({ arm: 'before', reps: 1, rate: 300, deploys: 20, dryRun: true }, { env: {}, recorder }), (e) => isLabError(e, 'LAB_LOG_BUDGET'));
    assert.deepEqual(recorder.calls, []);
    await planKind({ arm: 'before', reps: 1, rate: 200, deploys: 3, dryRun: true }, { env: {}, recorder });
    assert.ok(recorder.calls.length > 0, "the lab's own default rate fits");
  });
});
