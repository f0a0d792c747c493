import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { ROOT } from '../helpers/proc.js';

// The CI recipes of examples/ci/ and the pre-commit hook at the root, checked against what the
// tools that read them accept: the published JSON schema of a GitHub workflow, and pre-commit's own
// list of hook keys (sources in test/package/fixtures/README.md). Each check is also shown to fail
// on a broken copy, so a pass means something.

const FIXTURES = join(ROOT, 'test/package/fixtures');
const json = (f: string) => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as Record<string, any>;
const yamlOf = (p: string) => parse(readFileSync(join(ROOT, p), 'utf8')) as any;
const clone = <T>(x: T): T => structuredClone(x);

function schema(file: string): ValidateFunction<any> {
  return new Ajv({ strict: false, allErrors: true }).compile<any>(json(file));
}

test('the GitHub Actions recipe validates against the GitHub workflow schema, and runs doctor --sarif into upload-sarif and check as a gate', () => {
  const validate = schema('github-workflow.json');
  const wf = yamlOf('examples/ci/github-actions.yml');
  assert.ok(validate(wf), JSON.stringify(validate.errors, null, 2));
  const steps = (job: string) => wf.jobs[job].steps as Array<{ run?: string; uses?: string; with?: Record<string, string> }>;
  const doctor = steps('doctor');
  const sarifRun = doctor.find((s) => /npx deploy-loss-lab doctor .*--sarif > (\S+)/.test(s.run ?? ''));
  assert.ok(sarifRun, 'doctor writes SARIF');
  const upload = doctor.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
  assert.equal(upload?.with?.sarif_file, /--sarif > (\S+)/.exec(sarifRun.run!)![1], 'the uploaded file is the one doctor wrote');
  assert.equal(wf.jobs.doctor.permissions['security-events'], 'write', 'upload-sarif needs security-events: write');
  assert.ok(steps('check').some((s) => /deploy-loss-lab check .*--max-failed \d+/.test(s.run ?? '')), 'check gates with --max-failed');
  // the schema is not a rubber stamp: a misspelt key and a job without runs-on fail
  const typo = clone(wf);
  typo.jobs.doctor.step = typo.jobs.doctor.steps;
  delete typo.jobs.doctor.steps;
  assert.equal(validate(typo), false);
  const noRunner = clone(wf);
  delete noRunner.jobs.check['runs-on'];
  assert.equal(validate(noRunner), false);
});

test('the GitLab recipe: two jobs that run doctor and check (with --max-failed) and keep their output', () => {
  const ci = yamlOf('examples/ci/gitlab-ci.yml');
  const jobs = Object.entries(ci).filter(([k, v]) => k !== 'stages' && typeof v === 'object' && !Array.isArray(v)) as Array<[string, any]>;
  assert.deepEqual(jobs.map(([k]) => k), ['deploy-loss-doctor', 'deploy-loss-check']);
  for (const [name, job] of jobs) {
    assert.ok(ci.stages.includes(job.stage), `${name}: stage ${job.stage} is declared`);
    assert.ok(Array.isArray(job.script) && job.script.every((l: unknown) => typeof l === 'string'), `${name}: script is a list of commands`);
    assert.equal(job.artifacts.when, 'always', `${name}: output kept on failure too`);
  }
  assert.ok(jobs[0]![1].script.some((l: string) => l.startsWith('npx deploy-loss-lab doctor ')));
  assert.ok(jobs[1]![1].script.some((l: string) => /^npx deploy-loss-lab check .*--max-failed \d+/.test(l)));
  assert.deepEqual(jobs[1]![1].artifacts.paths, ['deploy-loss-results/']);
});

/** Problems of one hook against pre-commit's MANIFEST_HOOK_DICT (keys, required, types). */
function hookProblems(hook: Record<string, unknown>, spec: Record<string, any>, tags: readonly string[]): string[] {
  const out: string[] = [];
  const kinds: Record<string, string> = { ...spec.required, ...spec.optional };
  for (const k of Object.keys(spec.required)) if (!(k in hook)) out.push(`missing required key ${k}`);
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  for (const [k, v] of Object.entries(hook)) {
    const kind = kinds[k];
    if (!kind) { out.push(`unknown key ${k}`); continue; }
    const ok = kind === 'string' ? typeof v === 'string'
      : kind === 'bool' ? typeof v === 'boolean'
      : kind === 'strings' ? strings(v)
      : kind === 'language' ? spec.languages.includes(spec.translated[v as string] ?? v)
      : kind === 'stages' ? strings(v) && (v as string[]).every((s) => spec.stages.includes(s))
      : kind === 'type_tags' ? strings(v) && (v as string[]).every((t) => tags.includes(t))
      : kind === 'regex' ? typeof v === 'string' && (() => { try { new RegExp(v); return true; } catch { return false; } })()
      : false;
    if (!ok) out.push(`${k}: ${JSON.stringify(v)} is not a valid ${kind}`);
  }
  return out;
}

test('.pre-commit-hooks.yaml: a deploy-loss-lab-doctor hook with only the keys and types pre-commit accepts, running the installed bin', () => {
  const spec = json('pre-commit-manifest-hook.json');
  const tags = (json('pre-commit-hooks.json').definitions.file_type.anyOf[0].enum as string[]);
  const hooks = yamlOf('.pre-commit-hooks.yaml') as Array<Record<string, any>>;
  assert.ok(Array.isArray(hooks), 'the manifest is a list of hooks');
  const hook = hooks.find((h) => h.id === 'deploy-loss-lab-doctor');
  assert.ok(hook, 'hook deploy-loss-lab-doctor');
  assert.deepEqual(hookProblems(hook, spec, tags), []);
  const validate = schema('pre-commit-hooks.json');
  assert.ok(validate(hooks), JSON.stringify(validate.errors, null, 2));
  // the entry is the bin the user's project installed (npx --no: never fetched from a registry)
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const entry = /^npx --no (\S+) doctor$/.exec(hook.entry);
  assert.ok(entry && Object.keys(pkg.bin).includes(entry[1]!), `${hook.entry}: npx --no <a bin of package.json> doctor`);
  assert.ok(new RegExp(hook.files).test('k8s/deployment.yaml') && !new RegExp(hook.files).test('.github/workflows/ci.yml'), 'manifests, not CI files');
  // and the checks can fail
  assert.deepEqual(hookProblems({ id: 'x', name: 'x', entry: 'x', language: 'nodejs', pass_filenames: 'yes', stage: ['commit'] }, spec, tags),
    ['language: "nodejs" is not a valid language', 'pass_filenames: "yes" is not a valid bool', 'unknown key stage']);
  assert.deepEqual(hookProblems({ name: 'x', entry: 'x', language: 'node', types: ['yml'] }, spec, tags), ['missing required key id', 'types: ["yml"] is not a valid type_tags']);
});
