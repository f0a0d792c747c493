// Dockerfile discovery (skaffold.ts, dockerfile-discovery.ts): `doctor k8s/` in a repository with a
// skaffold.yaml reads each image's Dockerfile without --dockerfile. On microservices-demo as published
// (test/fixtures/real/microservices-demo: skaffold.yaml, manifests and the sources of some services at
// the commit in its source.json) and on small repositories written to a temp dir for each case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { formatSarif, formatText, runDoctor } from '../../lab/tools/doctor/index.js';
import { buildFor, findSkaffold, imageName, MAX_LEVELS, readSkaffold } from '../../lab/tools/doctor/skaffold.js';
import { corpusSets, CORPUS_DIR } from '../../scripts/doctor-corpus.js';
import { ROOT } from '../helpers/proc.js';
import { byId, container, deployment, service, yamlOf } from './fixtures.js';

const DEMO = join(ROOT, 'test/fixtures/real/microservices-demo');

/** A throwaway repository: files by relative path (a trailing / makes a directory). */
function repo(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-repo-'));
  for (const [p, text] of Object.entries(files)) {
    const f = join(dir, p);
    if (p.endsWith('/')) mkdirSync(f, { recursive: true });
    else {
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, text);
    }
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const app = (image: string) => yamlOf([deployment('app', container({ image, command: undefined, lifecycle: undefined })), service('app')]);
const skaffold = (artifacts: string) => `apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n${artifacts}`;

test('microservices-demo without --dockerfile: skaffold.yaml maps each image to its Dockerfile, so node and python as PID 1 are found and the preStop findings are info', async () => {
  const r = await runDoctor({ paths: [join(DEMO, 'kubernetes-manifests')] });
  for (const svc of ['currencyservice', 'paymentservice', 'emailservice', 'recommendationservice']) {
    const pid1 = r.findings.find((f) => f.id === 'pid1-no-sigterm-handler' && f.object === `Deployment/${svc}`);
    assert.equal(pid1?.severity, 'error', svc);
    const prestop = r.findings.find((f) => f.id === 'readiness-prestop-missing' && f.object === `Deployment/${svc}`);
    assert.equal(prestop?.severity, 'info', svc);
    assert.match(prestop!.why, /today PID 1 ignores SIGTERM, pid1-no-sigterm-handler, so the pod serves on until the SIGKILL at the end of its 5 s grace period/);
    const note = r.dockerfiles?.find((n) => n.image === svc);
    assert.equal(note?.status, 'read', svc);
    assert.equal(note!.dockerfile, join(DEMO, 'src', svc, 'Dockerfile'));
  }
  // cartservice's Dockerfile (context src/cartservice/src) is not in the corpus: said, not fatal
  const cart = r.dockerfiles?.find((n) => n.image === 'cartservice');
  assert.equal(cart?.status, 'missing');
  assert.match(cart!.message, /src\/cartservice\/src\/Dockerfile, which is not there/);
  // a service whose image skaffold.yaml does not build (redis:alpine) gets no note
  assert.equal(r.dockerfiles?.some((n) => n.image === 'redis:alpine'), false);
  // with --dockerfile nothing is discovered: the user's choice holds for every container
  const explicit = await runDoctor({ paths: [join(DEMO, 'kubernetes-manifests/emailservice.yaml')], dockerfile: join(DEMO, 'src/currencyservice/Dockerfile') });
  assert.equal(explicit.dockerfiles, undefined);
});

test('which Dockerfile was read for which image is said in the text and as SARIF notifications; the Dockerfile\'s own finding is reported', async () => {
  const t = repo({
    '.git/': '', 'k8s/app.yaml': app('registry.example.com/team/app:1.2.3'),
    'skaffold.yaml': skaffold('  - image: team/app\n    context: svc\n    docker:\n      dockerfile: build/Dockerfile\n'),
    'svc/build/Dockerfile': 'FROM node:20\nCMD node server.js\n',
  });
  try {
    const r = await runDoctor({ paths: [join(t.dir, 'k8s')] });
    const [f] = byId(r, 'pid1-dockerfile-shell-form');
    assert.equal(f?.file, join(t.dir, 'svc/build/Dockerfile'), 'the Dockerfile named by docker.dockerfile, relative to the context');
    assert.equal(byId(r, 'readiness-prestop-missing')[0]?.severity, 'info', 'dash stays PID 1: the preStop goes with the PID 1 fix');
    assert.deepEqual(r.dockerfiles?.map((n) => [n.image, n.status]), [['registry.example.com/team/app:1.2.3', 'read']]);
    const text = formatText(r);
    assert.match(text, /^dockerfile: image registry\.example\.com\/team\/app:1\.2\.3: Dockerfile \S*svc\/build\/Dockerfile \(\S*skaffold\.yaml build\.artifacts "team\/app", context \S*svc\)$/m);
    const sarif = JSON.parse(formatSarif(r));
    const [n] = sarif.runs[0].invocations[0].toolExecutionNotifications;
    assert.equal(sarif.runs[0].invocations[0].executionSuccessful, true);
    assert.equal(n.level, 'note');
    assert.match(n.message.text, /image registry\.example\.com\/team\/app:1\.2\.3: Dockerfile/);
    assert.equal(n.locations[0].physicalLocation.artifactLocation.uri, relative(process.cwd(), join(t.dir, 'svc/build/Dockerfile')).split(sep).join('/'));
  } finally {
    t.cleanup();
  }
});

test('an image skaffold.yaml does not build, a mapped Dockerfile that is missing, a skaffold.yaml that does not parse: said where it applies, never fatal, the command stays unknown', async () => {
  const t = repo({
    '.git/': '', 'k8s/app.yaml': app('example/app:1'),
    'skaffold.yaml': skaffold('  - image: example/other\n  - image: example/app\n    context: app\n'),
  });
  try {
    const r = await runDoctor({ paths: [join(t.dir, 'k8s/app.yaml')] });
    assert.deepEqual(r.dockerfiles?.map((n) => [n.image, n.status]), [['example/app:1', 'missing']]);
    assert.match(r.dockerfiles![0]!.message, /names \S*app\/Dockerfile, which is not there; its command stays unknown/);
    assert.equal(byId(r, 'pid1-sigterm-unknown')[0]?.severity, 'info');
    assert.equal(byId(r, 'readiness-prestop-missing')[0]?.severity, 'error');
    assert.match(formatText(r), /^dockerfile: image example\/app:1: .*which is not there/m);
    assert.equal(JSON.parse(formatSarif(r)).runs[0].invocations[0].toolExecutionNotifications[0].level, 'warning');
    // not listed at all: no note, nothing read
    writeFileSync(join(t.dir, 'skaffold.yaml'), skaffold('  - image: example/other\n'));
    const unlisted = await runDoctor({ paths: [join(t.dir, 'k8s/app.yaml')] });
    assert.equal(unlisted.dockerfiles, undefined);
    assert.equal(byId(unlisted, 'readiness-prestop-missing')[0]?.severity, 'error');
    // a build config that does not parse is not the doctor's input: a note, and the manifests are still checked
    writeFileSync(join(t.dir, 'skaffold.yaml'), 'build: [unclosed\n');
    const broken = await runDoctor({ paths: [join(t.dir, 'k8s/app.yaml')] });
    assert.equal(broken.dockerfiles?.[0]?.status, 'unreadable');
    assert.ok(byId(broken, 'readiness-prestop-missing').length);
  } finally {
    t.cleanup();
  }
});

test('the walk up from the manifests stops at the nearest skaffold.yaml, at a repository root (.git), and after MAX_LEVELS directories', () => {
  const deep = Array.from({ length: MAX_LEVELS }, (_, i) => `d${i}`).join('/');
  const t = repo({
    'skaffold.yaml': skaffold('  - image: outside\n'), // above the repository: never the user's
    'repo/.git/': '', 'repo/skaffold.yaml': skaffold('  - image: root\n'), 'repo/deploy/skaffold.yaml': skaffold('  - image: nearest\n'),
    'repo/deploy/k8s/overlays/prod/app.yaml': '', 'repo/other/app.yaml': '',
    'norepo/skaffold.yaml': skaffold('  - image: far\n'), [`norepo/${deep}/app.yaml`]: '', 'norepo/d0/app.yaml': '',
    'sub/.git': 'gitdir: /elsewhere\n', 'sub/k8s/app.yaml': '', // a worktree or submodule: .git is a file
  });
  try {
    assert.deepEqual(findSkaffold([join(t.dir, 'repo/deploy/k8s/overlays/prod/app.yaml')]), [join(t.dir, 'repo/deploy/skaffold.yaml')]);
    assert.deepEqual(findSkaffold([join(t.dir, 'repo/other')]), [join(t.dir, 'repo/skaffold.yaml')], 'a directory path starts at itself');
    assert.deepEqual(findSkaffold([join(t.dir, 'sub/k8s/app.yaml')]), [], 'not above a .git file either');
    assert.deepEqual(findSkaffold([join(t.dir, 'norepo/d0/app.yaml')]), [join(t.dir, 'norepo/skaffold.yaml')]);
    assert.deepEqual(findSkaffold([join(t.dir, `norepo/${deep}/app.yaml`)]), [], `more than ${MAX_LEVELS} directories up`);
    assert.deepEqual(findSkaffold(['-']), [], 'stdin has no place to start from');
  } finally {
    t.cleanup();
  }
});

test('images match an artifact without registry, tag and digest, or under a default repo; a name that merely ends the same does not', () => {
  assert.equal(imageName('gcr.io/p/app:v1@sha256:0123'), 'p/app');
  assert.equal(imageName('localhost:5000/app:dev'), 'app');
  assert.equal(imageName('app'), 'app');
  assert.equal(imageName('team/app:1'), 'team/app');
  const builds = readSkaffold(join(DEMO, 'skaffold.yaml'));
  assert.equal(builds.length, 12, 'both configs of the multi-document file (app, loadgenerator)');
  assert.equal(buildFor('us-central1-docker.pkg.dev/google-samples/microservices-demo/currencyservice:v0.10.3', builds)?.context, join(DEMO, 'src/currencyservice'));
  assert.equal(buildFor('cartservice', builds)?.dockerfile, join(DEMO, 'src/cartservice/src/Dockerfile'));
  assert.equal(buildFor('example/mycurrencyservice:1', builds), undefined);
  assert.equal(buildFor('redis:alpine', builds), undefined);
});

test('the corpus: a run never picks up a skaffold.yaml outside its own set, and the lab\'s root has none', () => {
  for (const name of ['skaffold.yaml', 'skaffold.yml']) assert.equal(existsSync(join(ROOT, name)), false, `${name} at the repository root would apply to every corpus set`);
  for (const s of corpusSets()) {
    for (const r of s.runs) {
      for (const f of findSkaffold(r.paths.map((p) => join(CORPUS_DIR, s.name, p)))) {
        assert.ok(f.startsWith(join(CORPUS_DIR, s.name) + sep), `${s.name}: ${f}`);
      }
    }
  }
});

test('the CLI says which Dockerfile it read, and exits as before (the notes are not findings)', () => {
  const r = spawnSync(process.execPath, ['dist/lab/cli.js', 'doctor', join(DEMO, 'kubernetes-manifests/currencyservice.yaml')], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 1, r.stderr); // pid1-no-sigterm-handler is an error
  assert.match(r.stdout, /^dockerfile: image currencyservice: Dockerfile test\/fixtures\/real\/microservices-demo\/src\/currencyservice\/Dockerfile /m);
});
