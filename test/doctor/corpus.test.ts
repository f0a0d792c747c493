// The doctor on manifests nobody here wrote (test/fixtures/real/, see docs/doctor.md "Corpus and precision"):
// its errors and warnings must be exactly the reviewed ones, precision over them must be at least the
// project's goal of 95 % (docs/doctor.md has the figure), and no preStop it recommends may reach the grace
// period of the object it is for.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readInputs } from '../../lab/tools/doctor/reader.js';
import { compare, corpusSets, keyOf, observe, precisionOf, readExpectations, runCorpus, type RunReport } from '../../scripts/doctor-corpus.js';

const MIN_SETS = 12;
// The false positives left are listed by the test's message and in docs/doctor.md.
const MIN_PRECISION = 0.95;
const DEFAULT_GRACE_S = 30; // PodSpec default

let reports: RunReport[];
before(async () => {
  reports = await runCorpus();
});

test('the corpus: at least 12 public sets, each with repository, commit, license and every file it lists', () => {
  const sets = corpusSets();
  assert.ok(sets.length >= MIN_SETS, `${sets.length} sets`);
  for (const s of sets) {
    assert.match(s.repository, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/, s.name);
    for (const p of [...s.paths, ...s.runs.flatMap((r) => [...r.paths, ...(r.dockerfile ? [r.dockerfile] : [])])]) {
      assert.ok(existsSync(join('test/fixtures/real', s.name, p)), `${s.name}/${p}`);
    }
  }
});

test('every error and warning on the corpus is one that was reviewed, with the reviewed severity', async () => {
  const c = compare(await observe(reports), readExpectations());
  assert.deepEqual(c.unexpected.map((o) => `${keyOf(o)} [${o.severity}] ${o.why}`), [], 'new findings: review them (npm run doctor:precision -- --draft)');
  assert.deepEqual(c.missing.map(keyOf), [], 'reviewed findings the doctor no longer gives');
  assert.deepEqual(c.severityChanged.map(({ observed, reviewed }) => `${keyOf(observed)}: ${reviewed.severity} → ${observed.severity}`), []);
  assert.deepEqual(c.unreviewed.map(keyOf), [], 'findings without a verdict');
  for (const r of readExpectations()) assert.ok(r.reason.trim().length > 10, `${keyOf(r)}: a verdict needs its reason`);
});

test('precision over the reviewed errors and warnings is at least 95 %', () => {
  const p = precisionOf(readExpectations());
  const fps = readExpectations().filter((r) => r.verdict === 'false').map((r) => `${r.id} on ${r.set} ${r.object}`);
  assert.ok(p.precision >= MIN_PRECISION, `precision ${(100 * p.precision).toFixed(1)} % (${p.truePositives} true, ${p.falsePositives} false):\n${fps.join('\n')}`);
});

/** The object's grace period as the input has it, read the way the doctor reads it (directories, kustomize renders). */
function graceOf(r: RunReport, object: string): number {
  const o = readInputs(r.paths).find((x) => `${x.kind}/${x.name}` === object);
  const pod = o?.kind === 'Pod' ? o.obj.spec : o?.obj.spec?.template?.spec;
  return typeof pod?.terminationGracePeriodSeconds === 'number' ? pod.terminationGracePeriodSeconds : DEFAULT_GRACE_S;
}

test('no recommended preStop reaches the grace period it runs in (the one the same fix sets, else the object\'s)', () => {
  let checked = 0;
  for (const r of reports) {
    for (const f of r.findings) {
      const ops = f.patch ?? [];
      const sleep = ops.find((op) => op.path.at(-1) === 'preStop')?.value as { sleep?: { seconds?: number } } | undefined;
      if (typeof sleep?.sleep?.seconds !== 'number') continue;
      const raised = ops.find((op) => op.path.at(-1) === 'terminationGracePeriodSeconds')?.value;
      const grace = typeof raised === 'number' ? raised : graceOf(r, f.object);
      assert.ok(sleep.sleep.seconds < grace, `${r.set.name} ${f.object} ${f.id}: preStop ${sleep.sleep.seconds} s in a ${grace} s grace period`);
      checked++;
    }
  }
  assert.ok(checked > 0, 'the corpus has preStop recommendations to check');
});
