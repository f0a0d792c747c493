import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/proc.js';
import { installInto, pack, type Packed } from './project.js';

// The package as a user gets it: `npm pack`, installed into a project of its own (offline, from the
// npm cache), and the bin run from that project's directory on a copy of examples/.

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let tmp: string;
let project: string;
let packed: Packed;

// LAB_CHECK_SHORT_PHASES: check's fixed phases shortened, as in the lab's other check tests
const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', LAB_CHECK_SHORT_PHASES: '1' };
type Ran = { code: number | null; stdout: string; stderr: string };
/** A command from the user's project, without blocking the other tests (they run side by side). */
function run(cmd: string, args: string[], timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
/** `npx deploy-loss-lab …` from the user's project: npx resolves the package's bin (~1 s of npm start-up each, so once). */
const npx = (args: string[]) => run('npx', ['deploy-loss-lab', ...args], 60_000);
/** The installed bin, as a package.json script or CI job calls it (what npx runs once it has resolved it). */
const bin = (args: string[], timeoutMs = 60_000) => run(join(project, 'node_modules/.bin/deploy-loss-lab'), args, timeoutMs);

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pack-'));
  chmodSync(tmp, 0o755); // check's pods run as nobody here (no runAsUser, no sudo) and must reach the project
  project = join(tmp, 'user-project');
  mkdirSync(project);
  packed = pack(tmp);
  installInto(project, packed.file);
  cpSync(join(ROOT, 'examples'), join(project, 'examples'), { recursive: true });
  // the user's project is a git repository of its own: its commit is not the lab's
  writeFileSync(join(project, '.gitignore'), 'node_modules/\ndeploy-loss-results/\n');
  const git = (args: string[]) => assert.equal(spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: project }).status, 0, `git ${args.join(' ')}`);
  git(['init', '-q']);
  git(['add', '.']);
  git(['commit', '-qm', 'user project']);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

// the check test mostly waits on its rollout; the others' short commands run beside it
describe('the npm package', { concurrency: true }, () => {
  it('holds the compiled bin, the rendered manifests and a licence, and no tests, benches, sources or stored runs', (t) => {
    const paths = packed.files.map((f) => f.path);
    t.diagnostic(`tarball ${packed.file.split('/').at(-1)}: ${(packed.size / 1000).toFixed(1)} kB packed, ${(packed.unpackedSize / 1000).toFixed(1)} kB unpacked, ${paths.length} files`);
    for (const p of ['package.json', 'LICENSE', 'README.md', 'dist/lab/bin.js', 'dist/lab/cli.js', 'dist/lab/tools/doctor/main.js', 'dist/lab/tools/check/main.js', 'k8s/rendered/after.yaml', 'loadtest/scenario.json', 'loadtest/k6/script.js']) {
      assert.ok(paths.includes(p), `${p} is in the tarball`);
    }
    const stray = paths.filter((p) => /^dist\/(test|bench|scripts)\/|\.map$|\.ts$|^results\/runs\/|^(lab|test|service|worker|common)\//.test(p));
    assert.deepEqual(stray, [], 'nothing the bin does not run');
    assert.ok(packed.size < 1_000_000, `tarball ${packed.size} bytes`);
    const meta = JSON.parse(readFileSync(join(project, 'node_modules/deploy-loss-lab/package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(meta.license, 'MIT');
    assert.equal(meta.private, undefined);
    assert.match(readFileSync(join(project, 'node_modules/deploy-loss-lab/LICENSE'), 'utf8'), /MIT License\n\nCopyright \(c\) 2026 deploy-loss-lab authors/);
  });

  it('npx deploy-loss-lab --version from package.json; the bin: --help lists the tools, the lab-only experiments refuse with exit 2', async () => {
    const [v, h, dh, g, k] = await Promise.all([npx(['--version']), bin(['--help']), bin(['doctor', '--help']), bin(['guardian']), bin(['before', '--target', 'kind', '--dry-run'])]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), VERSION);
    assert.equal(h.code, 0, h.stderr);
    for (const c of ['doctor', 'check', 'tune', 'triage']) assert.match(h.stdout, new RegExp(`^  ${c} `, 'm'));
    assert.match(dh.stdout, /^usage: deploy-loss-lab doctor/);
    assert.equal(g.code, 2);
    assert.match(g.stderr, /LAB_BAD_OPTION: .*guardian runs from a clone of the lab's repository/);
    assert.equal(k.code, 2);
    assert.match(k.stderr, /--target kind runs from a clone/);
  });

  it('doctor on the project\'s own files: exit 1 on the naive example, 0 on the fixed one, 2 on a missing path', async () => {
    const [naive, fixed, sarif, missing] = await Promise.all([
      bin(['doctor', 'examples/naive/k8s']), bin(['doctor', 'examples/fixed/k8s/orders.yaml']), bin(['doctor', '--sarif', 'examples/naive/k8s']), bin(['doctor', 'k8s/']),
    ]);
    assert.equal(naive.code, 1, naive.stderr);
    assert.match(naive.stdout, /^examples\/naive\/k8s\/orders\.yaml$/m);
    assert.match(naive.stdout, /ERROR +pid1-package-manager +Deployment\/orders/);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.equal(sarif.code, 1);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: Array<{ tool: { driver: { name: string; version: string } }; results: unknown[] }> };
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs[0]!.tool.driver.version, VERSION);
    assert.ok(log.runs[0]!.results.length > 0);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /k8s/);
  });

  it('the other commands load from the package: tune --help, triage reads ./deploy-loss-results/, an arm dry run', async () => {
    const [tune, tr, dry] = await Promise.all([bin(['tune', '--help']), bin(['triage']), bin(['before', 'after', '--dry-run'])]);
    assert.equal(tune.code, 0);
    assert.equal(tr.code, 1);
    assert.match(tr.stderr, /no stored local runs .* under \S*\/user-project\/deploy-loss-results\/runs/);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /^deploy-loss-lab before after --dry-run: 2 arm\(s\)/m);
  });

  it('check on the fixed example from the project directory: exit 0 under --max-failed 0, results in ./deploy-loss-results/', async () => {
    const r = await bin(['check', '--manifests', 'examples/fixed/k8s', '--app-dir', 'examples/fixed', '--route', 'GET:/orders', '--rate', '10', '--deploys', '1', '--max-failed', '0'], 240_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /written to deploy-loss-results\/check\/orders\//);
    const out = join(project, 'deploy-loss-results/check/orders');
    for (const f of ['table.md', 'summary.json', 'evidence.json', 'timeline.svg']) assert.ok(existsSync(join(out, f)), f);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { command: string; commit: string; params: { manifests: string[]; appDir: string } };
    assert.match(summary.command, /^deploy-loss-lab check --manifests examples\/fixed\/k8s/);
    assert.deepEqual(summary.params.manifests, ['examples/fixed/k8s']);
    assert.equal(summary.params.appDir, 'examples/fixed');
    assert.equal(summary.commit, `deploy-loss-lab@${VERSION}`, 'an installed copy records its version, not the project\'s commit');
    const installed = join(project, 'node_modules/deploy-loss-lab');
    assert.deepEqual(readdirSync(installed).filter((n) => ['.lab', 'deploy-loss-results'].includes(n)), [], 'nothing written into the installed package');
    assert.ok(!existsSync(join(installed, 'results/check')), 'nothing written into the installed package');
  });
});
