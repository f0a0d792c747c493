// tune → doctor (issue 27 §1): the kustomize component `tune` writes, applied to the `after` arm by
// the real kustomize (kubectl kustomize), passes doctor with no error or warning for measured delays
// of 0.3 s, 1 s and 3 s, doctor being told the same measured delay. One sizing rule serves both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestRecord } from '../../loadtest/records.js';
import type { DeregistrationReport } from '../../lab/engine/deregistration.js';
import { writeComponent } from '../../lab/experiments/tune/component.js';
import { recommend } from '../../lab/experiments/tune/recommend.js';
import { runDoctor } from '../../lab/tools/doctor/index.js';
import { ROOT } from '../helpers/proc.js';
import { hasKubectl } from '../k8s/manifests.js';

const rec = (route: string, ms: number): RequestRecord => ({ t_sched: 0, t_start: 0, t_end: ms, route, path: 'l4', status: 200, class: 'ok' });

function measured(p99Ms: number): DeregistrationReport {
  const stats = { count: 3, p50Ms: Math.round(p99Ms * 0.8), p99Ms, maxMs: p99Ms };
  const none = { new: null, reused: null };
  return { measurable: true, definition: 'test', routed: stats, byPath: { l4: none, ingress: none }, routingLag: null, pods: [] };
}

for (const p99Ms of [300, 1000, 3000]) {
  test(`tune's component for a measured ${p99Ms} ms delay, applied to after, passes doctor`, { skip: !hasKubectl() && 'kubectl not found' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tune-doctor-'));
    try {
      const records = [rec('fast', 5), rec('slow', 1400), rec('slow', 1500), rec('work', 40)];
      const r = recommend(measured(p99Ms), records, { preStopSeconds: 3, shutdownDeadlineMs: 6000, drainDelayMs: 1000, terminationGracePeriodSeconds: 10 });
      writeComponent(join(dir, 'timing'), r, 'a test measurement');
      copyFileSync(join(ROOT, 'k8s/rendered/after.yaml'), join(dir, 'after.yaml'));
      writeFileSync(join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [after.yaml]\ncomponents: [timing]\n');
      const rendered = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
      assert.match(rendered, new RegExp(`seconds: ${r.preStopSeconds}\\b`), 'the component reached the Deployment');
      writeFileSync(join(dir, 'tuned.yaml'), rendered);
      const report = await runDoctor({ paths: [join(dir, 'tuned.yaml')], deregistrationS: p99Ms / 1000 });
      const loud = report.findings.filter((f) => f.severity !== 'info');
      assert.deepEqual(loud.map((f) => `${f.severity} ${f.id} ${f.object}: ${f.why}`), [], `preStop ${r.preStopSeconds} s, grace ${r.terminationGracePeriodSeconds} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
