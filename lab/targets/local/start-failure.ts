import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LabError, labErrorDetail, type LabErrorCode } from '../../../common/errors.js';
import { tcpOnce } from './kubelet-probes.js';
import type { Pod } from './pod.js';
import { formatListener, isLoopbackAddress, isWildcardAddress, type Listener } from './pod-sockets.js';

// Why a Deployment's pods cannot start, said as soon as the evidence is clear instead of at the
// start timeout: a crash loop (every pod exited on its own twice, or a back-off restart that lands
// after the deadline), or a pod that runs but is never ready because the app listens somewhere
// else than the port it is probed on, or answers the readiness path with a 4xx that will not
// change. Anything less clear waits for the timeout, which then names what was last seen.

/** Lines of the pod's stderr (stdout when it wrote none) a start failure quotes. */
export const EXCERPT_LINES = 20;
/** A wrong port or a 4xx readiness answer counts once it has held this long on every pod. */
export const CLEAR_AFTER_MS = 3000;
const POLL_MS = 250;

export interface StartFailureFacts {
  deployment: string;
  pod: string;
  /** absolute path of the pod's whole log */
  logFile: string;
  exitCode: number | null | undefined;
  exits: number;
  /** the quoted lines, and the stream they came from */
  excerpt: string[];
  stream: 'stderr' | 'stdout' | 'none';
  /** what the readiness probe (or the lab's own TCP check) last saw */
  seen: string | undefined;
  listening: Listener[];
  /** names of the environment variables the container is given */
  envNames: string[];
}

/** A start failure with the facts a caller may turn into advice (check adds --env and --app-dir hints). */
export class PodStartError extends LabError {
  constructor(code: LabErrorCode, detail: string, readonly facts: StartFailureFacts, options?: { cause?: unknown }) {
    super(code, detail, options);
  }
}

/** The last `n` lines the container's last run wrote to stderr (or, when it wrote none, to stdout), without the lab's timestamps. */
export function logExcerpt(logFile: string, n = EXCERPT_LINES): { lines: string[]; stream: StartFailureFacts['stream'] } {
  let text = '';
  try { text = readFileSync(logFile, 'utf8'); } catch { return { lines: [], stream: 'none' }; }
  // the container's last run only: what it wrote since the kubelet last started it
  const lines = text.split('\n');
  const started = lines.findLastIndex((l) => / kubelet pod-started /.test(l));
  const of = (stream: string) => lines.slice(started + 1).map((l) => /^\S+ (\S+) (.*)$/.exec(l)).filter((m) => m?.[1] === stream).map((m) => m![2]!);
  const err = of('stderr');
  if (err.length > 0) return { lines: err.slice(-n), stream: 'stderr' };
  const out = of('stdout');
  return out.length > 0 ? { lines: out.slice(-n), stream: 'stdout' } : { lines: [], stream: 'none' };
}

function facts(pod: Pod, seen: string | undefined, listening: Listener[]): StartFailureFacts {
  const logFile = resolve(pod.logFile);
  const { lines, stream } = logExcerpt(logFile);
  return {
    deployment: pod.deployment, pod: pod.name, logFile, exitCode: pod.ownExits.at(-1)?.exit.exitCode, exits: pod.ownExits.length,
    excerpt: lines, stream, seen, listening, envNames: pod.template.container.env.map((e) => e.name),
  };
}

function excerptText(f: StartFailureFacts): string {
  const head = f.stream === 'none' ? 'it wrote nothing to stdout or stderr' : `last ${f.excerpt.length} line(s) of its ${f.stream}${f.stream === 'stdout' ? ' (nothing on stderr)' : ''}:`;
  return [head, ...f.excerpt.map((l) => `  | ${l}`), `full pod log: ${f.logFile}`].join('\n');
}

/** `the app listens on 0.0.0.0:8080, not on :3000` / `… on :3000 only on 127.0.0.1 (inside the pod), not on the pod's address` */
export function portMismatch(listening: readonly Listener[], port: number | undefined, podIp: string): string | undefined {
  if (port === undefined || listening.length === 0) return undefined;
  const onPort = listening.filter((l) => l.port === port);
  const list = listening.map(formatListener).join(', ');
  if (onPort.length === 0) return `the app listens on ${list}, not on :${port}`;
  if (onPort.some((l) => isWildcardAddress(l.address) || l.address === podIp)) return undefined;
  const where = onPort.every((l) => isLoopbackAddress(l.address)) ? 'only on loopback inside the pod' : 'only on another address';
  return `the app listens on ${list}: on :${port} ${where}, which the pod's address ${podIp} does not reach (bind 0.0.0.0 or the pod's IP)`;
}

const kindOfPod = (p: Pod) => (p.hasReadinessProbe ? 'readiness probe' : 'TCP connect to the container port');

/** The progress line for one Deployment while it starts: `pod x restarting (exit 1, 2×)`, `readiness: connection refused on :3000`. */
export function startState(pods: readonly Pod[], seen: (p: Pod) => string | undefined, serving: (p: Pod) => boolean): string {
  const out: string[] = [];
  for (const p of pods) {
    if (p.terminating || serving(p)) continue;
    const last = p.ownExits.at(-1);
    if (last && !p.running) out.push(`pod ${p.name} restarting (exit ${last.exit.exitCode ?? last.exit.signal}, ${p.ownExits.length}×)`);
    else if (seen(p)) out.push(`pod ${p.name} ${p.hasReadinessProbe ? 'readiness' : 'tcp'}: ${seen(p)}`);
  }
  // one line per state is enough when the replicas agree
  const byState = new Map<string, string>();
  for (const line of out) byState.set(line.replace(/^pod \S+ /, ''), line);
  return [...byState.values()].join('; ');
}

/**
 * Watches one Deployment's pods until `stop()`: `failed` rejects with a PodStartError as soon as
 * the evidence is clear (never resolves otherwise); `explain(err)` turns a timeout into what was
 * last seen. Pods without a readiness probe are Ready before they listen, so for them the watch
 * connects to the container port itself (once a second).
 */
export class StartWatch {
  readonly failed: Promise<never>;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reject!: (e: Error) => void;
  private readonly since = new Map<string, { what: string; from: number }>();
  private readonly tcpSeen = new Map<string, { ok: boolean; seen: string; at: number }>();
  private tcpBusy = false;

  constructor(readonly deployment: string, private readonly pods: () => Pod[], private readonly deadline: number, private readonly onState?: (line: string) => void) {
    this.failed = new Promise<never>((_, rej) => { this.reject = rej; });
    this.failed.catch(() => undefined); // a caller that stopped listening must not see an unhandled rejection
    this.timer = setInterval(() => this.check(), POLL_MS);
  }

  private current(): Pod[] { return this.pods().filter((p) => p.deployment === this.deployment && !p.terminating); }

  private seen(p: Pod): string | undefined {
    if (p.hasReadinessProbe) return p.probeSeen?.seen;
    return this.tcpSeen.get(p.name)?.seen;
  }

  private async tcpCheck(pods: Pod[]): Promise<void> {
    if (this.tcpBusy) return;
    this.tcpBusy = true;
    try {
      for (const p of pods) {
        const port = p.readinessPort;
        if (p.hasReadinessProbe || !p.running || port === undefined) continue;
        const last = this.tcpSeen.get(p.name);
        if (last && Date.now() - last.at < 1000) continue;
        const o = await tcpOnce(p.ip, port, 1000);
        this.tcpSeen.set(p.name, { ...o, at: Date.now() });
      }
    } finally { this.tcpBusy = false; }
  }

  /** Ready by its probe, or (without one) accepting connections on its port. */
  private serving(p: Pod): boolean {
    if (!p.running || !p.ready) return false;
    return p.hasReadinessProbe || this.tcpSeen.get(p.name)?.ok === true;
  }

  /** Evaluates the evidence now; rejects `failed` when it is clear. */
  check(): void {
    if (this.stopped) return;
    const now = Date.now();
    const pods = this.current();
    if (pods.length === 0) return;
    void this.tcpCheck(pods);
    this.onState?.(startState(pods, (p) => this.seen(p), (p) => this.serving(p)));
    // crash loop: every pod exited on its own twice, or a restart lands after the deadline
    const looping = pods.every((p) => p.ownExits.length >= 2);
    const late = pods.find((p) => !p.running && p.nextRestartAt !== undefined && p.nextRestartAt > this.deadline);
    if (looping || late) {
      const pod = late ?? [...pods].sort((a, b) => (b.ownExits.at(-1)?.t ?? 0) - (a.ownExits.at(-1)?.t ?? 0))[0]!;
      const f = facts(pod, this.seen(pod), []);
      const why = looping
        ? `every pod of Deployment/${this.deployment} exited on its own at least twice (${pods.map((p) => `${p.name}: ${p.ownExits.length}×`).join(', ')})`
        : `pod ${pod.name} exited on its own ${pod.ownExits.length}× and its back-off restart comes ${Math.round((pod.nextRestartAt! - now) / 1000)} s from now, after the start budget runs out`;
      return this.fail(new PodStartError('LAB_POD_CRASHLOOP', `${why}; pod ${pod.name} last exited with code ${f.exitCode ?? '?'}\n${excerptText(f)}`, f));
    }
    // never ready, clearly: on every running pod the same definite answer for CLEAR_AFTER_MS
    const verdicts = pods.map((p) => this.definite(p));
    for (const [i, p] of pods.entries()) {
      const v = verdicts[i];
      const prev = this.since.get(p.name);
      if (v === undefined) this.since.delete(p.name);
      else if (prev?.what !== v) this.since.set(p.name, { what: v, from: now });
    }
    if (pods.some((p) => this.serving(p))) return;
    if (verdicts.every((v) => v !== undefined) && pods.every((p) => now - (this.since.get(p.name)?.from ?? now) >= CLEAR_AFTER_MS)) {
      const pod = pods[0]!;
      const f = facts(pod, this.seen(pod), pod.listening());
      this.fail(new PodStartError('LAB_POD_NEVER_READY', `no pod of Deployment/${this.deployment} can become ready: ${kindOfPod(pod)} last saw ${f.seen ?? 'nothing'}; ${verdicts[0]}\n${excerptText(f)}`, f));
    }
  }

  /** A reason the pod will not become ready as it is, or undefined while it might. */
  private definite(p: Pod): string | undefined {
    if (!p.running) return undefined;
    const seen = this.seen(p);
    if (seen === undefined) return undefined;
    if (/^connection refused|^timeout/.test(seen)) return portMismatch(p.listening(), p.readinessPort, p.ip);
    const status = /^HTTP (4\d\d)/.exec(seen)?.[1];
    // 4xx from the readiness path: the route is missing or refuses the kubelet (408/429 may pass later)
    if (status && !['408', '429'].includes(status)) return `the app answers its readiness path with ${status}, which the kubelet counts as a failure (200-399 is ready)`;
    return undefined;
  }

  /** A timeout at start, restated with what each probe last saw, where the app listens, and the log. */
  explain(err: unknown): unknown {
    if (!(err instanceof LabError) || err.code !== 'LAB_TIMEOUT') return err;
    if (/Deployment\/\S+ not complete/.test(err.message) && !err.message.includes(`Deployment/${this.deployment} `)) return err;
    const pods = this.current();
    const pod = pods.find((p) => !this.serving(p));
    if (!pod) return err;
    const listening = pod.listening();
    const f = facts(pod, this.seen(pod), listening);
    const where = listening.length ? `it listens on ${listening.map(formatListener).join(', ')}` : pod.running ? 'it listens on no TCP port' : 'its container is not running';
    const mismatch = portMismatch(listening, pod.readinessPort, pod.ip);
    return new PodStartError('LAB_POD_NEVER_READY', `${labErrorDetail(err)}\npod ${pod.name}: ${kindOfPod(pod)} last saw ${f.seen ?? 'nothing'}; ${mismatch ?? where}${pod.ownExits.length ? `; it exited on its own ${pod.ownExits.length}× (last code ${f.exitCode ?? '?'})` : ''}\n${excerptText(f)}`, f, { cause: err });
  }

  private fail(e: PodStartError): void {
    this.stop();
    this.reject(e);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}

/** Races `p` with the watches: the first clear start failure wins; a timeout from `p` is explained by the watch it concerns. */
export async function underWatch<T>(watches: readonly StartWatch[], p: Promise<T>): Promise<T> {
  try { return await Promise.race([p, ...watches.map((w) => w.failed)]); } catch (e) {
    let err = e;
    for (const w of watches) if (err === e) err = w.explain(e);
    throw err;
  } finally { for (const w of watches) w.stop(); }
}
