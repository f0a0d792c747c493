// Bad input fails safe (issue 22 item 5): nothing to read is exit 2, never a green "no findings";
// an alias bomb is refused by name while legitimate anchor reuse passes; an unrendered Helm template
// is refused with the command that renders it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { isLabError } from '../../common/errors.js';
import { runDoctor } from '../../lab/tools/doctor/index.js';
import { ROOT } from '../helpers/proc.js';
import { container, deployment, writeTemp, yamlOf } from './fixtures.js';

function doctor(args: string[], input?: string) {
  return spawnSync(process.execPath, ['dist/lab/cli.js', 'doctor', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, input });
}

test('an empty file, a file of only ---, and an empty stdin exit 2 with LAB_NO_DOCUMENTS', async () => {
  for (const text of ['', '---\n', '---\n---\n# only a comment\n']) {
    const t = writeTemp('empty.yaml', text);
    try {
      await assert.rejects(runDoctor({ paths: [t.file] }), (e: unknown) => isLabError(e, 'LAB_NO_DOCUMENTS') && e.message.includes(`${t.file} is empty, or only comments and \`---\``), JSON.stringify(text));
      if (text === '---\n') {
        const r = doctor([t.file]);
        assert.equal(r.status, 2);
        assert.equal(r.stdout, '');
      }
    } finally {
      t.cleanup();
    }
  }
  // `kubectl kustomize broken/ | doctor -`: the render failed and piped nothing
  const stdin = doctor(['-'], '');
  assert.equal(stdin.status, 2);
  assert.match(stdin.stderr, /^LAB_NO_DOCUMENTS: the input holds no Kubernetes object: stdin is empty, or only comments and `---`: did the command piping into doctor fail\?/);
  assert.equal(stdin.stdout, '');
});

const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', 'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]', 'kind: ConfigMap', 'apiVersion: v1', 'metadata: {name: x}'].join('\n');

test('a YAML alias bomb exits 2 with LAB_YAML_ALIASES, no stack trace', () => {
  const t = writeTemp('bomb.yaml', `${bomb}\n`);
  try {
    const r = doctor([t.file]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^LAB_YAML_ALIASES: .*bomb\.yaml: document 1 expands its aliases more than \d+ times/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    t.cleanup();
  }
});

test('a legitimate file reusing one anchor 100 times is read', async () => {
  const containers = Array.from({ length: 100 }, (_, i) => `      - name: c${i}\n        image: example/app:1\n        command: [node, server.js]\n        env: [*common]\n`).join('');
  const t = writeTemp('reuse.yaml', `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: many}\nx-common: &common {name: LOG_LEVEL, value: info}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: many}}\n  template:\n    metadata: {labels: {app: many}}\n    spec:\n      containers:\n${containers}`);
  try {
    const r = await runDoctor({ paths: [t.file], deregistrationS: 1 });
    assert.ok(r.findings.some((f) => f.object === 'Deployment/many'), 'the Deployment was read and checked');
  } finally {
    t.cleanup();
  }
});

test('a Helm template that happens to parse, or that does not, exits 2 with LAB_HELM_TEMPLATE and the helm template command', async () => {
  // valid YAML: a quoted name, and {{ … }} is a flow mapping inside a flow mapping
  const parses = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: "{{ .Release.Name }}-web"\nspec:\n  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n      containers: [{name: web, image: "{{ .Values.image }}"}]\n`;
  const breaks = `apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include "chart.fullname" . }}\n{{- if .Values.service.annotations }}\n  annotations:\n{{ toYaml .Values.service.annotations | indent 4 }}\n{{- end }}\n`;
  assert.equal(parseAllDocuments(parses)[0]!.errors.length, 0, 'the first case really parses');
  for (const [name, text] of [['deployment.yaml', parses], ['service.yaml', breaks]] as const) {
    const t = writeTemp(name, text);
    try {
      await assert.rejects(runDoctor({ paths: [t.file] }), (e: unknown) => isLabError(e, 'LAB_HELM_TEMPLATE')
        && e.message.includes(t.file) && /document 1, line \d+: this is a Helm chart template, not a manifest: render it first .*helm template <release> <chart>/.test(e.message));
    } finally {
      t.cleanup();
    }
  }
  // Go template text in a ConfigMap (an Alertmanager template) is data, and rendered manifests pass
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'am' }, data: { 'slack.tmpl': '{{ define "x" }}{{ .Values.x }}{{ range .Alerts }}{{ .Labels.alertname }}{{ end }}{{ end }}' } };
  const t = writeTemp('ok.yaml', yamlOf([cm, deployment('a', container())]));
  try {
    await runDoctor({ paths: [t.file], deregistrationS: 1 });
  } finally {
    t.cleanup();
  }
});
