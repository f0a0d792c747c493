import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readPodLog, type PodLogLine } from './pod-log.js';

// The shutdown sequence of the pods a run terminated, quoted from their logs with the time relative
// to the SIGTERM the kubelet sent: what a reviewer reads to see the levers act (or not act).

export type PodRole = 'service' | 'worker';

export interface EvidenceStep {
  step: string;
  /** ms relative to the SIGTERM (negative: before it); null: not logged */
  at: number | null;
  detail: string;
}

export interface EvidenceLine {
  at: number;
  source: string;
  what: string;
  detail: string;
}

export interface PodEvidence {
  pod: string;
  role: PodRole;
  steps: EvidenceStep[];
  lines: EvidenceLine[];
  omittedLines: number;
  verdict: string;
}

export interface StartGap {
  pod: string;
  /** ms from container start to Ready, and to the app's `listening` line; null when not logged */
  readyMs: number | null;
  listeningMs: number | null;
}

export interface RunEvidence {
  pods: PodEvidence[];
  /** pods the rollouts started: when the kubelet called them Ready against when they listened */
  started: StartGap[];
}

/** One row per step; `many` lists every occurrence (dependencies close one by one). */
interface StepSpec { label: string; source: 'kubelet' | 'app'; what: string; many?: boolean; failureOnly?: boolean }

const K = (label: string, what: string, extra: Partial<StepSpec> = {}): StepSpec => ({ label, source: 'kubelet', what, ...extra });
const A = (label: string, what: string, extra: Partial<StepSpec> = {}): StepSpec => ({ label, source: 'app', what, ...extra });

const SERVICE_STEPS: StepSpec[] = [
  K('pod terminating (endpoints drop it)', 'pod-terminating'), K('preStop done', 'prestop-done'), K('SIGTERM sent to PID 1', 'sigterm'),
  A('signal received by the app', 'signal'), A('readiness flipped (/readyz 503)', 'readiness-flipped'), A('listener closed', 'listener-closed'),
  A('connections drained', 'connections-drained'), A('guardian fired', 'guardian-fired', { failureOnly: true }),
  A('sockets force-closed', 'sockets-force-closed', { failureOnly: true }), A('dependency closed', 'dependency-closed', { many: true }),
  A('exit (the app)', 'exit'), K('SIGKILL (grace period over)', 'sigkill', { failureOnly: true }), K('container exit', 'pod-exit'),
];
const WORKER_STEPS: StepSpec[] = [
  K('pod terminating', 'pod-terminating'), K('SIGTERM sent to PID 1', 'sigterm'), A('signal received by the app', 'signal'),
  A('stopped fetching jobs', 'fetching-stopped'), A('requeued at the deadline', 'requeue-deadline', { failureOnly: true }),
  A('active jobs drained', 'jobs-drained'), A('guardian fired', 'guardian-fired', { failureOnly: true }),
  A('dependency closed', 'dependency-closed', { many: true }), A('exit (the app)', 'exit'),
  K('SIGKILL (grace period over)', 'sigkill', { failureOnly: true }), K('container exit', 'pod-exit'),
];
/** App events worth quoting in the raw sequence (job-level lines would drown it). */
const LIFECYCLE = new Set([...SERVICE_STEPS, ...WORKER_STEPS].filter((s) => s.source === 'app').map((s) => s.what)
  .concat(['answered-after-signal', 'second-signal', 'shutdown-failed', 'shutdown-error', 'no-signal-handler']));
const MAX_LINES = 40;

const isApp = (l: PodLogLine) => l.source !== 'kubelet';
const matches = (l: PodLogLine, s: StepSpec) => (s.source === 'kubelet' ? l.source === 'kubelet' : isApp(l)) && l.what === s.what;

function answeredRows(lines: PodLogLine[], rel: (t: number) => number): EvidenceStep[] {
  const a = lines.find((l) => isApp(l) && l.what === 'answered-after-signal');
  if (!a) return [{ step: 'requests answered after SIGTERM', at: null, detail: 'not logged (no handler ran, or the app was killed)' }];
  type Answer = { method: string; url: string; status: number; msAfterSignal: number } | null | undefined;
  const f = a.fields as { count?: number; first?: Answer; last?: Answer };
  // the app counts from its own `signal` line, a millisecond or so after the kubelet's SIGTERM
  const signal = lines.find((l) => isApp(l) && l.what === 'signal');
  const base = signal ? rel(signal.t) : 0;
  const one = (label: string, r: Answer) => ({ step: label, at: r ? base + r.msAfterSignal : null, detail: r ? `${r.method} ${r.url} → ${r.status}` : 'none' });
  return [
    { step: 'requests answered after SIGTERM', at: rel(a.t), detail: `${f.count ?? 0} client responses finished` },
    one('first request answered after SIGTERM', f.first),
    one('last request answered after SIGTERM', f.last),
  ];
}

function verdictOf(steps: EvidenceStep[], lines: PodLogLine[]): string {
  const exit = lines.filter((l) => l.source === 'kubelet' && l.what === 'pod-exit').at(-1);
  const code = exit?.detail.match(/exitCode=(\S+)/)?.[1] ?? 'unknown';
  const sigterm = lines.find((l) => l.source === 'kubelet' && l.what === 'sigterm');
  const handled = steps.some((s) => s.step === 'signal received by the app' && s.at !== null);
  const killed = steps.some((s) => s.step.startsWith('SIGKILL') && s.at !== null);
  // the local target's kubelet says `dropped-by-kernel-rule` when PID 1 has no handler: the kernel ignores SIGTERM for it
  const how = sigterm?.detail.split(' ')[0] ?? '';
  const parts = [!sigterm ? 'no SIGTERM logged' : how.startsWith('dropped') ? 'SIGTERM dropped by the kernel (PID 1 has no handler for it)' : `SIGTERM ${how}`];
  parts.push(handled ? 'the app handled it' : 'no app line after it: no handler ran');
  parts.push(killed ? `SIGKILL at +${steps.find((s) => s.step.startsWith('SIGKILL'))!.at} ms` : 'no SIGKILL');
  parts.push(`exit code ${code}`);
  return parts.join('; ');
}

/** The evidence of one terminated pod, or undefined when its log shows no termination. */
export function podEvidence(pod: string, role: PodRole, lines: PodLogLine[]): PodEvidence | undefined {
  const terminating = lines.find((l) => l.source === 'kubelet' && l.what === 'pod-terminating');
  if (!terminating) return undefined;
  const sigterm = lines.find((l) => l.source === 'kubelet' && l.what === 'sigterm');
  const t0 = sigterm?.t ?? terminating.t;
  const rel = (t: number) => Math.round(t - t0);
  const after = lines.filter((l) => l.t >= terminating.t - 1);
  const steps: EvidenceStep[] = [];
  for (const s of role === 'service' ? SERVICE_STEPS : WORKER_STEPS) {
    const hits = after.filter((l) => matches(l, s));
    if (hits.length === 0) steps.push({ step: s.label, at: null, detail: s.failureOnly ? 'none' : 'absent' });
    for (const h of s.many ? hits : hits.slice(0, 1)) steps.push({ step: s.many && h.fields.dependency ? `${s.label}: ${String(h.fields.dependency)}` : s.label, at: rel(h.t), detail: h.detail });
    if (s.what === 'dependency-closed' && role === 'service') steps.push(...answeredRows(after, rel));
  }
  const quoted = after.filter((l) => l.source === 'kubelet' || LIFECYCLE.has(l.what));
  return {
    pod, role, steps,
    lines: quoted.slice(0, MAX_LINES).map((l) => ({ at: rel(l.t), source: l.source === 'kubelet' ? 'kubelet' : role, what: l.what, detail: l.detail })),
    omittedLines: Math.max(0, quoted.length - MAX_LINES),
    verdict: verdictOf(steps, after),
  };
}

function startGap(pod: string, lines: PodLogLine[]): StartGap | undefined {
  const started = lines.find((l) => l.source === 'kubelet' && l.what === 'pod-started');
  if (!started) return undefined;
  const ready = lines.find((l) => l.source === 'kubelet' && l.what === 'pod-ready');
  const listening = lines.find((l) => isApp(l) && l.what === 'listening');
  return { pod, readyMs: ready ? Math.round(ready.t - started.t) : null, listeningMs: listening ? Math.round(listening.t - started.t) : null };
}

const hashOf = (pod: string) => pod.split('-').slice(-2, -1)[0] ?? '';

/**
 * Reads runDir/pods/*.log: every service pod a rollout terminated and the first terminated worker pod;
 * for pods the rollouts started, Ready against listening (without a readiness probe, Ready comes first).
 */
export function collectEvidence(podsDir: string): RunEvidence {
  if (!existsSync(podsDir)) return { pods: [], started: [] };
  const logs = readdirSync(podsDir).filter((f) => f.endsWith('.log')).map((f) => ({ pod: f.slice(0, -4), lines: readPodLog(join(podsDir, f)) }));
  const created = (l: { lines: PodLogLine[] }) => l.lines[0]?.t ?? 0;
  logs.sort((a, b) => created(a) - created(b));
  const pods: PodEvidence[] = [];
  for (const l of logs.filter((x) => x.pod.startsWith('service-'))) {
    const e = podEvidence(l.pod, 'service', l.lines);
    if (e) pods.push(e);
  }
  const worker = logs.filter((x) => x.pod.startsWith('worker-')).map((l) => podEvidence(l.pod, 'worker', l.lines)).find((e) => e);
  if (worker) pods.push(worker);
  const services = logs.filter((x) => x.pod.startsWith('service-'));
  const initial = hashOf(services[0]?.pod ?? '');
  const started = services.filter((l) => hashOf(l.pod) !== initial).flatMap((l) => startGap(l.pod, l.lines) ?? []);
  return { pods, started };
}
