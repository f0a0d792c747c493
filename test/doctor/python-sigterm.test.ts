// python as PID 1 (python-sigterm.ts): the kernel rule measured on the python3 installed here, then the
// doctor on microservices-demo's python services (test/fixtures/real/microservices-demo, at the commit in
// its source.json), whose sources install no SIGTERM handler, and on variants that leave it unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctor, type DoctorReport } from '../../lab/tools/doctor/index.js';
import { ROOT } from '../helpers/proc.js';
import { poll, within } from '../helpers/wait.js';
import { byId } from './fixtures.js';

const DEMO = join(ROOT, 'test/fixtures/real/microservices-demo');
const canUnshare = spawnSync('unshare', ['--pid', '--fork', '--kill-child', 'true'], { timeout: 5000 }).status === 0;
const hasPython = spawnSync('python3', ['-c', 'pass'], { timeout: 5000 }).status === 0;

/** python3 as PID 1 of a new PID namespace, echoing stdin lines; `handler` is installed before it says ready. */
async function pythonInNamespace(handler: string) {
  const script = `import os, signal, sys\n${handler}\nprint('ready', os.getpid(), flush=True)\nfor line in sys.stdin:\n    print('echo:' + line.strip(), flush=True)\n`;
  const child = spawn('unshare', ['--pid', '--fork', '--kill-child', 'python3', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await poll('python3 to start in its namespace', () => out, (o) => /^ready \d+$/m.test(o) || child.exitCode !== null, 15_000);
    assert.match(out, /^ready 1$/m, 'python3 is PID 1 inside its namespace');
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  // the namespace's PID 1 is unshare's only child; signals go to it from here, outside the namespace
  const pid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  return { child, pid, out: () => out, exited };
}

test('python3 as PID 1 without a handler: SIGTERM from outside is dropped and it runs on; with signal.signal(SIGTERM, …) it exits', async (t) => {
  if (!hasPython || !canUnshare) {
    assert.notEqual(process.env.LAB_STRICT_SKIPS, '1', 'python3 and unshare --pid are needed (LAB_STRICT_SKIPS=1)');
    return t.skip(!hasPython ? 'python3 not installed' : 'unshare --pid is not permitted here');
  }
  const plain = await pythonInNamespace('');
  try {
    process.kill(plain.pid, 'SIGTERM');
    // kill(2) has returned: a delivered SIGTERM with its default action would end python before it reads again
    plain.child.stdin!.write('after-sigterm\n');
    await poll('python3 to answer after SIGTERM', plain.out, (o) => o.includes('echo:after-sigterm'), 10_000);
    assert.equal(plain.child.exitCode, null);
  } finally {
    plain.child.kill('SIGKILL');
    await plain.exited;
  }
  const handled = await pythonInNamespace('signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))');
  try {
    process.kill(handled.pid, 'SIGTERM');
    assert.equal(await within(handled.exited, 10_000, () => 'still running 10 s after SIGTERM'), 0);
  } finally {
    handled.child.kill('SIGKILL');
  }
});

const run = (service: string, context = join(DEMO, 'src', service)) =>
  runDoctor({ paths: [join(DEMO, 'kubernetes-manifests', `${service}.yaml`)], dockerfile: join(context, 'Dockerfile') });
const pid1 = (r: DoctorReport) => r.findings.filter((f) => f.id.startsWith('pid1-')).map((f) => `${f.id} ${f.severity}`);

test('emailservice and recommendationservice: python is PID 1 and the app installs no SIGTERM handler: pid1-no-sigterm-handler, and the preStop finding is info', async () => {
  for (const [service, entry] of [['emailservice', 'email_server.py'], ['recommendationservice', 'recommendation_server.py']] as const) {
    const r = await run(service);
    const [f] = byId(r, 'pid1-no-sigterm-handler');
    assert.equal(f?.severity, 'error', service);
    assert.match(f!.why, new RegExp(`python runs ${entry} as PID 1; neither it nor the 3 module\\(s\\) of the app it imports \\(demo_pb2\\.py, demo_pb2_grpc\\.py, logger\\.py\\) installs a SIGTERM handler`));
    assert.equal(byId(r, 'readiness-prestop-missing')[0]?.severity, 'info', service);
  }
});

test('a handler in any module of the app, a server known to install one, no or another dependency list, `python -m`: unknown (info)', async () => {
  const edit = (file: string, f: (s: string) => string) => (d: string) => writeFileSync(join(d, file), f(readFileSync(join(d, file), 'utf8')));
  const variants: [string, (dir: string) => void][] = [
    ['handler in an imported module', (d) => appendFileSync(join(d, 'logger.py'), '\nimport signal\nsignal.signal(signal.SIGTERM, lambda *_: None)\n')],
    ['asyncio add_signal_handler in the entry', (d) => appendFileSync(join(d, 'email_server.py'), '\n# loop.add_signal_handler(15, stop)\n')],
    ['gunicorn among the requirements', (d) => appendFileSync(join(d, 'requirements.txt'), 'gunicorn==23.0.0\n')],
    ['a -r include', (d) => appendFileSync(join(d, 'requirements.txt'), '-r more.txt\n')],
    ['no requirements.txt', (d) => unlinkSync(join(d, 'requirements.txt'))],
    ['a pyproject.toml as well', (d) => writeFileSync(join(d, 'pyproject.toml'), '[project]\nname = "x"\n')],
    ['python -m', edit('Dockerfile', (s) => s.replace('[ "python", "email_server.py" ]', '["python", "-m", "email_server"]'))],
    ['a relative import that is not there', (d) => appendFileSync(join(d, 'email_server.py'), '\nfrom .helpers import x\n')],
  ];
  for (const [label, change] of variants) {
    const dir = mkdtempSync(join(tmpdir(), 'python-sigterm-'));
    try {
      cpSync(join(DEMO, 'src/emailservice'), dir, { recursive: true });
      change(dir);
      const r = await run('emailservice', dir);
      assert.deepEqual(pid1(r), ['pid1-sigterm-unknown info'], label);
      assert.equal(byId(r, 'readiness-prestop-missing')[0]?.severity, 'error', label);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // options before the script do not hide it
  const dir = mkdtempSync(join(tmpdir(), 'python-sigterm-'));
  try {
    cpSync(join(DEMO, 'src/emailservice'), dir, { recursive: true });
    edit('Dockerfile', (s) => s.replace('[ "python", "email_server.py" ]', '["python3", "-u", "-W", "ignore", "-X", "dev", "email_server.py"]'))(dir);
    assert.deepEqual(pid1(await run('emailservice', dir)), ['pid1-no-sigterm-handler error']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
