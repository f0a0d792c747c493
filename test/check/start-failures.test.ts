import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/proc.js';
import { podsLeft } from './helpers.js';

// `check` on an app that cannot start: each case is a small real app in a temp dir, run by the
// real CLI, and `check` must name the failure, quote the app's own output, give the pod log's
// path, and stop within a few seconds of the evidence being clear — not at the 60 s start timeout.

const START_TIMEOUT_MS = 60_000;
/** from the evidence (a pod's second exit, the app listening on the wrong port) to check's exit */
const PROMPT_MS = 6_000;
let dir: string;

interface Run { code: number | null; stderr: string; endedAt: number; ms: number }

function run(args: string[]): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/lab/cli.js', 'check', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGINT'), 120_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr, endedAt: Date.now(), ms: Date.now() - t0 }); });
  });
}

/** An app dir with `index.js` and a Deployment+Service for it. */
function app(name: string, source: string, container: string): string {
  const d = join(dir, name);
  mkdirSync(join(d, 'k8s'), { recursive: true });
  writeFileSync(join(d, 'index.js'), source);
  writeFileSync(join(d, 'k8s', 'app.yaml'), `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: app
          image: ${name}:1
          workingDir: /srv/app
          command: ["node", "/srv/app/index.js"]
          ports: [{name: http, containerPort: 3000}]
${container}---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{port: 80, targetPort: http}]
`);
  return d;
}

const check = (d: string) => run(['--manifests', join(d, 'k8s'), '--app-dir', d, '--rate', '5', '--deploys', '1', '--out', join(d, 'out')]);

/** The pod log path the error names: absolute, and there. */
function logPath(stderr: string): string {
  const p = /^full pod log: (.+)$/m.exec(stderr)?.[1] ?? '';
  assert.ok(isAbsolute(p) && existsSync(p), `pod log path ${p}`);
  return p;
}

/** Epoch ms of each line of every pod log in `podsDir` matching `re`, per pod. */
function logTimes(podsDir: string, re: RegExp): number[][] {
  return readdirSync(podsDir).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(podsDir, f), 'utf8').split('\n')
    .filter((l) => re.test(l)).map((l) => Date.parse(l.slice(0, l.indexOf(' ')))));
}

/**
 * When the crash-loop evidence became clear, from the pod logs: every pod's second exit, or (when
 * check says a back-off outlasts the budget) the second exit of the first pod to have one.
 */
function crashLoopEvidence(stderr: string): number {
  const secondExits = logTimes(dirname(logPath(stderr)), /kubelet pod-exit container exited on its own/).map((t) => t[1]);
  const late = /exited on its own 2× and its back-off restart comes \d+ s from now, after the start budget runs out/.test(stderr);
  if (!late) assert.match(stderr, /every pod of Deployment\/\S+ exited on its own at least twice/);
  const known = secondExits.filter((t): t is number => t !== undefined);
  assert.ok(late ? known.length > 0 : known.length === secondExits.length, `second exits ${JSON.stringify(secondExits)}`);
  return late ? Math.min(...known) : Math.max(...known);
}

// 0755: the pods run as nobody here (no runAsUser, no sudo) and must reach their app dirs
before(() => { dir = mkdtempSync(join(tmpdir(), 'check-start-')); chmodSync(dir, 0o755); });
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The progress line names the probe's state once it has been redrawn after the first probe; a check
 * whose evidence was clear before that redraw (a fast machine) has no such line to show.
 */
function progressNamed(stderr: string, state: RegExp, what: string): void {
  const redraws = stderr.split('\n').filter((l) => /^\[check .*\| elapsed [1-9]\d*s/.test(l));
  if (redraws.length > 0) assert.match(stderr, state, what);
}

// each case has an app dir of its own, and its check mostly waits on back-offs and probes
describe('check says at once why the app cannot start', { concurrency: 3 }, () => {
  it('crash loop: LAB_POD_CRASHLOOP, exit 1, the exit code, the stderr excerpt and the log path, at the second exit of every pod', async () => {
    const d = app('crasher', `console.log('starting');\nconsole.error('fatal: cannot open /srv/data/catalog.db');\nprocess.exit(3);\n`,
      '          readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 1}\n');
    const r = await check(d);
    assert.equal(r.code, 1, r.stderr.slice(-3000));
    assert.match(r.stderr, /^LAB_POD_CRASHLOOP: /m);
    assert.match(r.stderr, /last exited with code 3/);
    assert.match(r.stderr, /last 1 line\(s\) of its stderr:\n {2}\| fatal: cannot open \/srv\/data\/catalog\.db/);
    assert.match(r.stderr, /restarting \(exit 3, 1×\)/, 'progress named the state while it waited');
    const evidence = crashLoopEvidence(r.stderr);
    assert.ok(r.endedAt - evidence < PROMPT_MS, `check ended ${r.endedAt - evidence} ms after the evidence`);
    assert.ok(r.ms < START_TIMEOUT_MS, `${r.ms} ms`);
    assert.ok(!existsSync(join(d, 'out', 'summary.json')));
    assert.deepEqual(podsLeft(d), []);
  });

  it('missing environment variable: the stack trace and a hint to pass --env NAME=…', async () => {
    // no readiness probe: the pods count as Ready before they crash, so this is caught in the serving wait
    const d = app('needs-env', `const url = process.env.DATABASE_URL;\nif (!url) throw new Error('Missing required environment variable: DATABASE_URL');\n`, '');
    const r = await check(d);
    assert.equal(r.code, 1, r.stderr.slice(-3000));
    assert.match(r.stderr, /^LAB_POD_CRASHLOOP: /m);
    assert.match(r.stderr, /last exited with code 1/);
    assert.match(r.stderr, / {2}\| Error: Missing required environment variable: DATABASE_URL/);
    assert.match(r.stderr, / {2}\| +at .*index\.js:2/, 'the stack trace is quoted');
    assert.match(r.stderr, /^hint: the app's output names DATABASE_URL, which Deployment\/needs-env does not set: give --env DATABASE_URL=…/m);
    // in the serving wait (30 s) the first pod to exit twice is evidence enough: its next back-off (20 s) outlasts the budget
    const evidence = crashLoopEvidence(r.stderr);
    assert.ok(r.endedAt - evidence < PROMPT_MS, `check ended ${r.endedAt - evidence} ms after the evidence`);
    assert.deepEqual(podsLeft(d), []);
  });

  it('wrong port: LAB_POD_NEVER_READY naming the port the app really listens on', async () => {
    // no readiness probe: check connects to the container port itself
    const d = app('wrong-port', `require('node:http').createServer((q, s) => s.end('ok')).listen(8080, process.env.HOST || '0.0.0.0', () => console.log('listening on 8080'));\n`, '');
    const r = await check(d);
    assert.equal(r.code, 1, r.stderr.slice(-3000));
    assert.match(r.stderr, /^LAB_POD_NEVER_READY: .*TCP connect to the container port last saw connection refused on :3000; the app listens on (0\.0\.0\.0|127\.\d+\.\d+\.\d+):8080, not on :3000/m);
    assert.match(r.stderr, /last 1 line\(s\) of its stdout \(nothing on stderr\):\n {2}\| listening on 8080/);
    progressNamed(r.stderr, /tcp: connection refused on :3000/, 'progress named what the check saw');
    const log = logPath(r.stderr);
    const listening = Math.max(...logTimes(dirname(log), /stdout listening on 8080/).map((t) => t[0] ?? Infinity));
    assert.ok(Number.isFinite(listening) && r.endedAt - listening < PROMPT_MS + 2000, `check ended ${r.endedAt - listening} ms after the app listened`);
    assert.deepEqual(podsLeft(d), []);
  });

  it('never ready: the readiness path answers 404, said with the status the probe saw', async () => {
    const d = app('no-health', `require('node:http').createServer((q, s) => { s.statusCode = q.url === '/' ? 200 : 404; s.end(); }).listen(3000, process.env.HOST || '0.0.0.0', () => console.log('up'));\n`,
      '          readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}\n');
    const r = await check(d);
    assert.equal(r.code, 1, r.stderr.slice(-3000));
    assert.match(r.stderr, /^LAB_POD_NEVER_READY: .*readiness probe last saw HTTP 404 from GET \/healthz on :3000; the app answers its readiness path with 404/m);
    progressNamed(r.stderr, /readiness: HTTP 404 from GET \/healthz on :3000/, 'progress named what the probe saw');
    const log = logPath(r.stderr);
    const up = Math.max(...logTimes(dirname(log), /stdout up$/).map((t) => t[0] ?? Infinity));
    assert.ok(Number.isFinite(up) && r.endedAt - up < PROMPT_MS + 2000, `check ended ${r.endedAt - up} ms after the app listened`);
    assert.deepEqual(podsLeft(d), []);
  });
});
