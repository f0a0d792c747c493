import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/proc.js';
import { kubeconfigYaml, startApiFixture, type ApiFixture } from '../kind/api-fixture.js';
import { NEEDED } from '../../lab/tools/check/cluster-access.js';

// Each bad input: exit 2, a message with its stable code naming the problem, and nothing started
// (no pod scratch directory, no results, no write to the API server). Through the package's bin from
// a folder of this file's own, so the scratch it counts (./deploy-loss-results/.scratch/check) is
// no other test's: the lab's own .lab/check is shared with every check test running beside it.

const APP = join(ROOT, 'test/check/app');
const MANIFESTS = join(APP, 'deploy');
let dir: string;
let scratch: string;
let api: ApiFixture;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/lab/bin.js'), 'check', ...args, '--out', join(dir, 'out')], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}

const scratchEntries = () => (existsSync(scratch) ? readdirSync(scratch).length : 0);

async function refused(args: string[], code: string, detail: RegExp, env?: Record<string, string>): Promise<void> {
  const before = scratchEntries();
  const r = await run(args, env);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^${code}: `, 'm'));
  assert.match(r.stderr, detail);
  assert.equal(scratchEntries(), before, 'no pod scratch directory was created');
  assert.ok(!existsSync(join(dir, 'out')), 'no results were written');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'check-bad-'));
  chmodSync(dir, 0o755); // the pods' user (nobody here) must reach the scratch under it, as in a user's project
  scratch = join(dir, 'deploy-loss-results', '.scratch', 'check');
  api = await startApiFixture();
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigYaml(api.url));
});
after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('check refuses bad input before starting anything', () => {
  it('a manifest without a Deployment', async () => {
    const f = join(dir, 'svc.yaml');
    writeFileSync(f, 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {selector: {app: a}, ports: [{port: 80}]}\n');
    await refused(['--manifests', f, '--app-dir', APP], 'LAB_BAD_MANIFEST', /no Deployment \(kinds found: Service\)/);
  });

  it('several Deployments and no --deployment', async () => {
    const d = join(dir, 'two');
    mkdirSync(d);
    writeFileSync(join(d, 'a.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n');
    writeFileSync(join(d, 'b.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\n');
    await refused(['--manifests', d, '--app-dir', APP], 'LAB_AMBIGUOUS_DEPLOYMENT', /2 Deployments \(a, b\).*--deployment/);
  });

  it('an app dir without the entry point of the command', async () => {
    const empty = join(dir, 'empty-app');
    mkdirSync(empty);
    await refused(['--manifests', MANIFESTS, '--app-dir', empty], 'LAB_NO_ENTRY_POINT', /containers\[0\]\.command runs node index\.mjs, but .*index\.mjs does not exist/);
  });

  it('runAsNonRoot with runAsUser 0: refused as the kubelet refuses it', async () => {
    const f = join(dir, 'root.yaml');
    writeFileSync(f, readFileSync(join(MANIFESTS, 'app.yaml'), 'utf8').replace('          command: ["node", "index.mjs"]', '          command: ["node", "index.mjs"]\n          securityContext: { runAsNonRoot: true, runAsUser: 0 }'));
    await refused(['--manifests', f, '--app-dir', APP], 'LAB_RUN_AS_ROOT_REFUSED', /Deployment\/ping: runAsNonRoot is true but runAsUser is 0 .*CreateContainerConfigError/);
    await refused(['--manifests', f, '--app-dir', APP, '--allow-root-pods'], 'LAB_RUN_AS_ROOT_REFUSED', /Deployment\/ping: runAsNonRoot is true/);
  });

  it('an app dir the pods\' user cannot read: refused naming the path and the uid, and the scratch dir made for the probe is gone', { skip: process.getuid?.() === 0 ? false : 'needs root: pods switch users only as root' }, async () => {
    const closed = mkdtempSync(join(tmpdir(), 'check-closed-app-')); // 0700, root's: nobody (no runAsUser, no SUDO_UID) cannot read it
    cpSync(APP, closed, { recursive: true });
    try {
      await refused(['--manifests', MANIFESTS, '--app-dir', closed], 'LAB_UNREADABLE_FILE', new RegExp(`Deployment/ping: uid 65534 .*cannot read the app directory ${closed};.*nothing was started`));
    } finally { rmSync(closed, { recursive: true, force: true }); }
  });

  it('npm start without a package.json', async () => {
    const empty = join(dir, 'empty-app');
    await refused(['--manifests', join(ROOT, 'examples/naive/k8s'), '--app-dir', empty], 'LAB_NO_ENTRY_POINT', /npm start.*package\.json does not exist/);
  });

  it('a route that is not METHOD:/path', async () => {
    await refused(['--manifests', MANIFESTS, '--app-dir', APP, '--route', 'ping'], 'LAB_BAD_ROUTE', /"ping" is not METHOD:\/path/);
    await refused(['--manifests', MANIFESTS, '--app-dir', APP, '--route', 'FETCH:/x'], 'LAB_BAD_ROUTE', /method FETCH/);
    await refused(['--manifests', MANIFESTS, '--app-dir', APP, '--route', 'POST:/x@missing.json'], 'LAB_BAD_ROUTE', /missing\.json: ENOENT/);
  });

  it('a context that does not exist', async () => {
    await refused(['--context', 'nope', '--namespace', 'shop', '--deployment', 'orders', '--url', 'http://orders.shop', '--yes'],
      'LAB_UNKNOWN_CONTEXT', /"nope" is not in the kubeconfig; known contexts: fixture/, { KUBECONFIG: join(dir, 'kubeconfig') });
  });

  it('a namespace the user cannot write to: refused after the access review, nothing written', async () => {
    api.requests.length = 0;
    api.responses.set('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', [201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', status: { allowed: false } }]);
    try {
      await refused(['--context', 'fixture', '--namespace', 'shop', '--deployment', 'orders', '--url', 'http://orders.shop', '--yes'],
        'LAB_FORBIDDEN', /in namespace shop \(context fixture\) you may not: patch deployments\.apps, .*create jobs\.batch/, { KUBECONFIG: join(dir, 'kubeconfig') });
    } finally { api.responses.clear(); }
    const other = api.requests.filter((r) => !r.url.startsWith('/apis/authorization.k8s.io/'));
    assert.deepEqual(other.map((r) => `${r.method} ${r.url}`), [], 'only access reviews were sent');
    assert.equal(api.requests.length, NEEDED.length, 'one review per permission');
  });

  it('a Deployment that does not exist', async () => {
    api.requests.length = 0;
    api.responses.set('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', [201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', status: { allowed: true } }]);
    api.responses.set('/apis/apps/v1/namespaces/shop/deployments/orders', [404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }]);
    try {
      await refused(['--context', 'fixture', '--namespace', 'shop', '--deployment', 'orders', '--url', 'http://orders.shop', '--yes'],
        'LAB_UNKNOWN_OBJECT', /Deployment shop\/orders does not exist/, { KUBECONFIG: join(dir, 'kubeconfig') });
    } finally { api.responses.clear(); }
    assert.deepEqual(api.requests.filter((r) => r.method !== 'GET' && !r.url.includes('selfsubjectaccessreviews')), [], 'nothing was written');
  });

  it('a plan whose k6 request lines would outgrow the kubelet log rotation: refused before any API call', async () => {
    api.requests.length = 0;
    await refused(['--context', 'fixture', '--namespace', 'shop', '--deployment', 'orders', '--url', 'http://orders.shop', '--rate', '200', '--deploys', '10', '--yes'],
      'LAB_LOG_BUDGET', /--rate 200 --deploys 10: about \d+\.\d MiB of request lines .* use a rate up to \d+\/s or fewer deploys; nothing was started/, { KUBECONFIG: join(dir, 'kubeconfig') });
    assert.deepEqual(api.requests, [], 'no API call');
  });

  it('a real Deployment is never restarted without --yes', async () => {
    await refused(['--context', 'fixture', '--namespace', 'shop', '--deployment', 'orders', '--url', 'http://orders.shop'], 'LAB_NOT_CONFIRMED', /add --yes/);
  });

  it('options of the other mode, and missing values', async () => {
    await refused(['--manifests', MANIFESTS], 'LAB_BAD_OPTION', /--app-dir is required/);
    await refused(['--manifests', MANIFESTS, '--app-dir', APP, '--rate', '0'], 'LAB_BAD_OPTION', /--rate 0 is out of range 1\.\.2000/);
    await refused(['--manifests', MANIFESTS, '--app-dir', APP, '--url', 'http://x'], 'LAB_BAD_OPTION', /--url is for the cluster mode/);
    await refused(['--manifests', MANIFESTS, '--app-dir', APP, '--env', 'NOEQUALS'], 'LAB_BAD_OPTION', /expected NAME=value/);
    await refused(['--manifests', MANIFESTS, '--app-dir', APP, '--pod-network', 'host'], 'LAB_BAD_OPTION', /--pod-network must be one of auto, netns, loopback, got "host"/);
    await refused(['--context', 'fixture', '--namespace', 'shop', '--deployment', 'orders', '--url', 'http://orders.shop', '--pod-network', 'netns', '--yes'], 'LAB_BAD_OPTION', /--pod-network is for the local mode/);
    await refused(['--context', 'fixture', '--namespace', 'shop', '--deployment', 'orders', '--url', 'http://orders.shop', '--allow-root-pods', '--yes'], 'LAB_BAD_OPTION', /--allow-root-pods is for the local mode/);
  });
});
