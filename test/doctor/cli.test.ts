// The command line as CI uses it: exit codes, --json, --sarif (SARIF 2.1.0), --fail-on, stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT } from '../helpers/proc.js';
import { RULES } from '../../lab/tools/doctor/index.js';
import { container, deployment, writeTemp, yamlOf } from './fixtures.js';

function doctor(args: string[], input?: string) {
  return spawnSync(process.execPath, ['dist/lab/cli.js', 'doctor', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, input });
}

test('exit 0 on the after arm, 1 on before; the text names the deregistration source', () => {
  const after = doctor(['k8s/rendered/after.yaml', '--deregistration-s', '1']);
  assert.equal(after.status, 0, after.stderr);
  assert.match(after.stdout, /doctor: no findings/);
  assert.match(after.stderr, /deregistration delay 1 s from --deregistration-s/);
  const before = doctor(['k8s/rendered/before.yaml']);
  assert.equal(before.status, 1, before.stderr);
  assert.match(before.stdout, /ERROR {3}pid1-shell-wrapper {2}Deployment\/service {2}spec\.template\.spec\.containers\[0\]\.command/);
  // no --lb: the assumed profile is named, with the warning that cloud load balancers take far longer
  assert.match(before.stderr, /deregistration delay 1 s from --lb kube-proxy profile, assumed/);
  assert.match(before.stderr, /cloud load balancers take far longer/);
});

test('--fail-on: warnings fail only at --fail-on warning; bad values exit 2 with the usage', () => {
  // one warning and nothing else: a ReplicationController (no rollout strategy) that nothing routes to
  const t = writeTemp('w.yaml', 'apiVersion: v1\nkind: ReplicationController\nmetadata: {name: a}\nspec:\n  replicas: 2\n  selector: {app: a}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      containers: [{name: a, image: redis:7, command: [redis-server]}]\n');
  try {
    assert.equal(doctor([t.file]).status, 0);
    assert.equal(doctor([t.file, '--fail-on', 'warning']).status, 1);
    const bad = doctor([t.file, '--fail-on', 'fatal']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /LAB_BAD_OPTION: .*--fail-on must be one of error, warning, info, got "fatal"/);
    assert.match(bad.stderr, /usage: npm run lab -- doctor/);
    for (const args of [[t.file, '--json', '--sarif'], [t.file, '--drain-s', 'ten'], [t.file, '--frobnicate'], []]) {
      const r = doctor(args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /LAB_BAD_OPTION/);
      assert.equal(r.stdout, '');
    }
  } finally {
    t.cleanup();
  }
});

test('bad input exits 2 with the file named and nothing on stdout', () => {
  const t = writeTemp('bad.yaml', 'kind: [\n');
  try {
    const r = doctor([t.file, '--json']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /LAB_BAD_YAML: .*bad\.yaml: document 1/);
    assert.equal(r.stdout, '');
  } finally {
    t.cleanup();
  }
});

test('--json: the DoctorReport plus the settings used; stdin with -', () => {
  const r = doctor(['-', '--json', '--drain-s', '4'], readFileSync(`${ROOT}/k8s/rendered/without-drain.yaml`, 'utf8'));
  assert.equal(r.status, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.findings.map((f: any) => f.id), ['drain-disabled']);
  assert.equal(j.findings[0].file, '<stdin>');
  assert.equal(j.settings.drainS, 4);
  assert.equal(typeof j.settings.deregistrationFrom, 'string');
});

test('--sarif: SARIF 2.1.0 with the rule catalogue, one result per finding, a line and a logical location each', () => {
  const json = JSON.parse(doctor(['k8s/rendered/before.yaml', '--json']).stdout);
  const r = doctor(['k8s/rendered/before.yaml', '--sarif']);
  assert.equal(r.status, 1, r.stderr);
  const log = JSON.parse(r.stdout);
  assert.equal(log.version, '2.1.0');
  assert.match(log.$schema, /sarif-2\.1\.0/);
  const run = log.runs[0];
  assert.deepEqual(run.tool.driver.rules.map((x: any) => x.id), Object.keys(RULES));
  assert.equal(run.results.length, json.findings.length);
  for (const res of run.results) {
    assert.equal(run.tool.driver.rules[res.ruleIndex].id, res.ruleId);
    assert.ok(['error', 'warning', 'note'].includes(res.level));
    const loc = res.locations[0];
    assert.equal(loc.physicalLocation.artifactLocation.uri, 'k8s/rendered/before.yaml');
    assert.ok(loc.physicalLocation.region.startLine > 2, 'a real line inside the object');
    assert.match(loc.logicalLocations[0].fullyQualifiedName, /^Deployment\/(service|worker)\/spec\./);
  }
  // the shell-wrapper result points at the command's line in the file
  const lines = readFileSync(`${ROOT}/k8s/rendered/before.yaml`, 'utf8').split('\n');
  const shell = run.results.find((x: any) => x.ruleId === 'pid1-shell-wrapper');
  assert.match(lines[shell.locations[0].physicalLocation.region.startLine - 1]!, /command:|\/bin\/sh/);
});
