// The evidence reader on pod logs copied verbatim from real local-target runs (an `after` and a
// `before` run of 2026-12-01; worker job lines removed to keep the fixture small).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectEvidence } from '../../lab/report/evidence.js';
import { evidenceMarkdown } from '../../lab/report/evidence-md.js';
import { parsePodLogLine } from '../../lab/report/pod-log.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/report/fixtures');
const at = (steps: Array<{ step: string; at: number | null }>, step: string) => steps.find((s) => s.step === step)?.at ?? null;

test('pod log lines: kubelet kind and detail, app JSON by its own time, plain lines kept, garbage skipped', () => {
  const k = parsePodLogLine('2026-12-01T10:04:08.377Z kubelet sigterm delivered (pid1 11407)')!;
  assert.deepEqual([k.source, k.what, k.detail], ['kubelet', 'sigterm', 'delivered (pid1 11407)']);
  const a = parsePodLogLine('2026-12-01T10:04:08.400Z stdout {"level":30,"time":"2026-12-01T10:04:08.378Z","pid":1,"event":"signal","inFlight":3,"msg":"x"}')!;
  assert.equal(a.t, Date.parse('2026-12-01T10:04:08.378Z'));
  assert.deepEqual([a.what, a.detail], ['signal', 'inFlight=3']);
  assert.equal(parsePodLogLine('2026-12-01T10:04:19.041Z stderr unshare: failed')!.detail, 'unshare: failed');
  assert.equal(parsePodLogLine('not a log line'), undefined);
  assert.equal(parsePodLogLine('yesterday kubelet sigterm'), undefined);
});

test('after: the terminated service pod shows every step in order, the answered requests and exit 0; the worker its own', () => {
  const e = collectEvidence(join(FIXTURES, 'after-pods'));
  const svc = e.pods.find((p) => p.role === 'service')!;
  assert.equal(svc.pod, 'service-cb7c358f3a-98ddc');
  assert.equal(e.pods.filter((p) => p.role === 'service').length, 1, 'a pod the rollout did not terminate is not quoted');
  const s = svc.steps;
  assert.ok(at(s, 'pod terminating (endpoints drop it)')! < -3000, 'terminating 3 s (preStop) before SIGTERM');
  assert.equal(at(s, 'SIGTERM sent to PID 1'), 0);
  assert.ok(at(s, 'readiness flipped (/readyz 503)')! <= at(s, 'listener closed')!);
  assert.ok(at(s, 'listener closed')! < at(s, 'dependency closed: queue')!);
  assert.ok(at(s, 'dependency closed: queue')! <= at(s, 'dependency closed: redis')!, 'queue closed before Redis');
  assert.equal(at(s, 'SIGKILL (grace period over)'), null);
  assert.match(s.find((x) => x.step === 'last request answered after SIGTERM')!.detail, /GET \/slow\?ms=1000 → 200/);
  assert.match(svc.verdict, /SIGTERM delivered; the app handled it; no SIGKILL; exit code 0/);
  assert.deepEqual(svc.lines.map((l) => l.at), [...svc.lines.map((l) => l.at)].sort((a, b) => a - b), 'quoted lines in time order');
  const worker = e.pods.find((p) => p.role === 'worker')!;
  assert.match(worker.verdict, /exit code 70/, 'this worker was forced by its guardian on the loaded machine');
  assert.ok(at(worker.steps, 'stopped fetching jobs')! >= 0);
  assert.ok(e.started.every((g) => g.readyMs! >= g.listeningMs!), `with a readiness probe a new pod is Ready only after it listens: ${JSON.stringify(e.started)}`);
});

test('before: no handler, SIGKILL at the grace period, exit 137; a new pod Ready seconds before it listens', () => {
  const e = collectEvidence(join(FIXTURES, 'before-pods'));
  const svc = e.pods[0]!;
  assert.match(svc.verdict, /SIGTERM dropped by the kernel \(PID 1 has no handler for it\); no app line after it: no handler ran; SIGKILL at \+\d+ ms; exit code 137/);
  assert.equal(svc.steps.find((x) => x.step === 'signal received by the app')!.detail, 'absent');
  const kill = at(svc.steps, 'SIGKILL (grace period over)')!;
  assert.ok(kill >= 10_000 && kill < 12_000, `SIGKILL at the 10 s grace period (+${kill} ms on a loaded machine)`);
  assert.equal(e.started.length, 1);
  assert.ok(e.started[0]!.listeningMs! - e.started[0]!.readyMs! > 1000, JSON.stringify(e.started));
  const md = evidenceMarkdown({ run: 'r', arm: 'before', levers: [], command: 'npm run lab -- before', commit: 'abc', date: 'd', podLogs: 'p' }, e);
  assert.match(md, /\| signal received by the app \| — \| absent \|/);
  assert.match(md, /Ready before listening by/);
  assert.deepEqual(collectEvidence(join(FIXTURES, 'no-such-dir')), { pods: [], started: [] });
});
