// Bad input: a clear LabError naming the file and the problem, nothing read past it, nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLabError } from '../../common/errors.js';
import { runDoctor } from '../../lab/tools/doctor/index.js';
import { hasKubectl } from '../k8s/manifests.js';
import { ROOT } from '../helpers/proc.js';
import { container, deployment, writeTemp, yamlOf } from './fixtures.js';

async function rejects(text: string, code: string, re: RegExp, name = 'in.yaml') {
  const t = writeTemp(name, text);
  try {
    await assert.rejects(runDoctor({ paths: [t.file] }), (e: unknown) => {
      assert.ok(isLabError(e), String(e));
      assert.equal(e.code, code);
      assert.ok(e.message.includes(t.file), `names the file: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  } finally {
    t.cleanup();
  }
}

test('not YAML: a syntax error names the file, document, line and column', async () => {
  await rejects('kind: Deployment\nmetadata: {name: [unclosed\n', 'LAB_BAD_YAML', /document 1, line \d+ column \d+/);
  await rejects('apiVersion: v1\nkind: ConfigMap\n---\nkind: Service\nkind: Service\n', 'LAB_BAD_YAML', /document 2/);
});

test('a document that is not a mapping, or binary content, is refused', async () => {
  await rejects('just some words\n', 'LAB_BAD_YAML', /document 1 \(line 1\) is a string, not a Kubernetes object/);
  await rejects('- a\n- b\n', 'LAB_BAD_YAML', /is a list/);
  await rejects('\u0000\u0001binary', 'LAB_BAD_YAML', /binary content/);
});

test('a document without kind is refused with its number and line; inside a List too', async () => {
  await rejects(`${yamlOf([deployment('a', container())])}---\napiVersion: v1\nmetadata:\n  name: x\n`, 'LAB_NO_KIND', /document 2 \(line \d+\) has no kind/);
  await rejects('apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    metadata: {name: y}\n', 'LAB_NO_KIND', /items\[0\]/);
});

test('an unknown kind is ignored and listed; a List is expanded; empty documents are skipped', async () => {
  const t = writeTemp('in.yaml', `---\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: List\nitems:\n${yamlOf([deployment('a', container())]).replace(/^/gm, '    ').replace(/^ {4}/, '  - ')}`);
  try {
    const r = await runDoctor({ paths: [t.file], deregistrationS: 1 });
    assert.deepEqual(r.ignored, [{ file: t.file, kind: 'Widget', name: 'w' }]);
    assert.ok(r.findings.some((f) => f.object === 'Deployment/a'), 'the List item was checked');
  } finally {
    t.cleanup();
  }
});

test('unreadable inputs: a missing file, a missing Dockerfile, a directory without manifests, a Dockerfile that is not one', async () => {
  const t = writeTemp('in.yaml', yamlOf([deployment('a', container())]));
  try {
    const cases: Array<[Parameters<typeof runDoctor>[0], string, RegExp]> = [
      [{ paths: [join(t.dir, 'nope.yaml')] }, 'LAB_UNREADABLE_FILE', /nope\.yaml: no such file or directory/],
      [{ paths: [t.file], dockerfile: join(t.dir, 'Dockerfile.missing') }, 'LAB_UNREADABLE_FILE', /Dockerfile\.missing/],
      [{ paths: [t.file], dockerfile: t.file }, 'LAB_BAD_DOCKERFILE', /in\.yaml: not a Dockerfile \(no FROM/],
      [{ paths: [] }, 'LAB_BAD_OPTION', /at least one file/],
      [{ paths: [t.file], deregistrationS: -1 }, 'LAB_BAD_OPTION', /--deregistration-s must be a number of seconds/],
    ];
    const empty = join(t.dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.txt'), 'x');
    cases.push([{ paths: [empty] }, 'LAB_UNREADABLE_FILE', /neither a kustomization nor any \.yaml/]);
    for (const [opts, code, re] of cases) {
      await assert.rejects(runDoctor(opts), (e: unknown) => isLabError(e) && e.code === code && re.test(e.message), `${code} ${re}`);
    }
  } finally {
    t.cleanup();
  }
});

test('a plain directory: every .yaml/.yml/.json file in it, sorted', async () => {
  const t = writeTemp('a.yaml', yamlOf([deployment('a', container())]));
  try {
    writeFileSync(join(t.dir, 'b.json'), JSON.stringify(deployment('b', container())));
    const r = await runDoctor({ paths: [t.dir], deregistrationS: 1 });
    assert.deepEqual([...new Set(r.findings.map((f) => f.object))].sort(), ['Deployment/a', 'Deployment/b']);
  } finally {
    t.cleanup();
  }
});

test('a kustomize directory without kubectl on PATH: exit 2, names the directory and how to render it', () => {
  const r = spawnSync(process.execPath, ['dist/lab/cli.js', 'doctor', 'k8s/arms/after'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, PATH: '/nonexistent' } });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /LAB_MISSING_TOOL: .*k8s\/arms\/after is a kustomize directory and kubectl is not on PATH: render it first \(`kubectl kustomize k8s\/arms\/after > rendered\.yaml`/);
  assert.equal(r.stdout, '');
});

test('a kustomize directory with kubectl is rendered: the after overlay has no findings', { skip: !hasKubectl() && 'kubectl not found' }, async () => {
  const r = await runDoctor({ paths: [join(ROOT, 'k8s/arms/after')], deregistrationS: 1 });
  assert.deepEqual(r.findings, []);
  assert.ok(r.ignored.some((i) => i.kind === 'Deployment' && i.name === 'redis'));
});
