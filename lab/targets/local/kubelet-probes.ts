import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { HttpGetAction, PortRef, ProbeSpec } from './manifest.js';

// The kubelet's prober: one worker per probe per container, running on its period, flipping its
// result only after failureThreshold consecutive failures / successThreshold successes.

export interface ProbeTarget {
  ip: string;
  resolvePort(port: PortRef): number;
  env: Record<string, string>;
  cwd: string;
  /** enters the pod's network namespace, so an exec probe's `localhost` is the pod's own */
  netPrefix?: readonly string[];
  /** drops to the pod's user after entering its namespace (lab/targets/local/pod-user.ts) */
  userPrefix?: readonly string[];
}

export const PROBE_KINDS = ['startup', 'readiness', 'liveness'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** One probe's result, and what it saw in words (for the reasons a pod never became ready). */
export interface ProbeOutcome { ok: boolean; seen: string }

/** `connection refused on :3000`, `timeout after 1000 ms on :3000`, or the error's code. */
function failureSeen(e: NodeJS.ErrnoException, port: number, timeoutMs: number): string {
  if (e.code === 'ECONNREFUSED') return `connection refused on :${port}`;
  if (e.message === 'probe timeout') return `timeout after ${timeoutMs} ms on :${port}`;
  return `${e.code ?? e.message} on :${port}`;
}

/** One HTTP GET the way the kubelet sends it: no keep-alive, kube-probe user agent, 200–399 is success. */
export function httpGetOnce(action: HttpGetAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.31', Accept: '*/*', Connection: 'close' };
    for (const [k, v] of action.headers) headers[k] = v;
    const port = target.resolvePort(action.port);
    const req = request({ host: action.host ?? target.ip, port, path: action.path, method: 'GET', headers, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const outcome = { ok: status >= 200 && status < 400, seen: `HTTP ${status} from GET ${action.path} on :${port}` };
      res.on('end', () => resolve(outcome));
      res.on('error', () => resolve(outcome));
    });
    req.on('timeout', () => req.destroy(new Error('probe timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, seen: failureSeen(e, port, timeoutMs) }));
    req.end();
  });
}

/** A TCP connect: success once the handshake completes (the kubelet's tcpSocket probe). */
export function tcpOnce(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const t = setTimeout(() => { s.destroy(); resolve({ ok: false, seen: `timeout after ${timeoutMs} ms on :${port}` }); }, timeoutMs);
    s.once('connect', () => { clearTimeout(t); s.destroy(); resolve({ ok: true, seen: `connected on :${port}` }); });
    s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(t); resolve({ ok: false, seen: failureSeen(e, port, timeoutMs) }); });
  });
}

/** Runs a command as the container would (same env and cwd); exit 0 within the timeout is success. */
export function execOnce(command: string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const argv = [...(target.netPrefix ?? []), ...(target.userPrefix ?? []), ...command];
    const child = spawn(argv[0]!, argv.slice(1), { env: target.env, cwd: target.cwd, stdio: 'ignore' });
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => { clearTimeout(t); resolve({ ok: code === 0, seen: `${command.join(' ')} ${signal ? `killed by ${signal} (timeout ${timeoutMs} ms)` : `exited ${code}`}` }); });
    child.once('error', (e) => { clearTimeout(t); resolve({ ok: false, seen: `${command[0]}: ${e.message}` }); });
  });
}

export function runProbeOnce(spec: ProbeSpec, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = spec.timeoutSeconds * 1000;
  const a = spec.action;
  if ('httpGet' in a) return httpGetOnce(a.httpGet, target, timeoutMs);
  if ('tcpSocket' in a) return tcpOnce(a.tcpSocket.host ?? target.ip, target.resolvePort(a.tcpSocket.port), timeoutMs);
  return execOnce(a.exec, target, timeoutMs);
}

export class ProbeWorker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  /** the kubelet's initial results: readiness and startup start false, liveness starts true */
  result: boolean;

  constructor(
    readonly kind: ProbeKind,
    private readonly spec: ProbeSpec,
    private readonly target: ProbeTarget,
    private readonly onChange: (result: boolean) => void,
    /** every probe's outcome, before the thresholds apply */
    private readonly onOutcome?: (o: ProbeOutcome) => void,
  ) {
    this.result = kind === 'liveness';
  }

  start(): void {
    this.timer = setTimeout(() => void this.tick(), this.spec.initialDelaySeconds * 1000);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    const outcome = await runProbeOnce(this.spec, this.target);
    if (this.stopped) return;
    const ok = outcome.ok;
    this.onOutcome?.(outcome);
    if (ok) { this.successes++; this.failures = 0; } else { this.failures++; this.successes = 0; }
    const next = ok
      ? (this.result || this.successes >= this.spec.successThreshold ? true : this.result)
      : (this.failures >= this.spec.failureThreshold ? false : this.result);
    if (next !== this.result) { this.result = next; this.onChange(next); }
    // A startup probe starts out failed, so reaching its threshold is the event: the kubelet kills the container.
    else if (this.kind === 'startup' && !ok && this.failures === this.spec.failureThreshold) { this.onChange(false); return; }
    if (this.kind === 'startup' && this.result) return; // startup probes stop once they succeed
    const wait = Math.max(0, this.spec.periodSeconds * 1000 - (Date.now() - started));
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), wait);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
