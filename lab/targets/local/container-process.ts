import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, type WriteStream } from 'node:fs';
import { constants } from 'node:os';
import { userSwitch, type Isolation } from './isolation.js';

// One run of a container's command: the process tree, its PID 1 as seen from the host, signals
// under the kernel's PID-1 rule, and the exit as the kubelet reports it (128+signal when killed).

export interface ContainerExit { exitCode: number | null; signal: NodeJS.Signals | null }
export type SignalOutcome = 'delivered' | 'dropped-by-kernel-rule' | 'not-running';

const PID1_LOOKUP_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
}

/** True when `pid` has a handler installed for `sig` (bit sig-1 of SigCgt). */
export function catchesSignal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? ((BigInt(`0x${m[1]}`) >> BigInt(constants.signals[sig] - 1)) & 1n) === 1n : false;
  } catch { return false; }
}

export class ContainerProcess {
  /** host pid of the command that is PID 1 in the pod's namespace (or the process itself in fallback mode) */
  pid1: number | undefined;
  readonly exited: Promise<ContainerExit>;
  private killedBySigkill = false;
  private done = false;

  private constructor(readonly child: ChildProcess, private readonly isolation: Isolation) {
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        this.done = true;
        if (this.killedBySigkill) resolve({ exitCode: 137, signal: 'SIGKILL' });
        else if (signal) resolve({ exitCode: 128 + (constants.signals[signal] ?? 0), signal });
        else resolve({ exitCode: code, signal: null });
      };
      child.once('exit', finish);
      child.once('error', () => { if (!this.done) finish(128, null); }); // spawn failure: kubelet's StartError is 128
    });
  }

  /**
   * Spawns `argv` under the isolation prefix (after `netPrefix`, which enters the pod's network
   * namespace; before `userPrefix`, which drops to the pod's user once the namespaces exist, so the
   * command is still PID 1: unshare's forked child execs setpriv, which execs the command);
   * stdout/stderr lines go to `log` with a timestamp each.
   */
  static async start(argv: string[], opts: { env: Record<string, string>; cwd: string; isolation: Isolation; log: WriteStream; netPrefix?: readonly string[]; userPrefix?: readonly string[] }): Promise<ContainerProcess> {
    const user = opts.userPrefix ?? [];
    // Without a PID namespace the user switch goes first: a credential change clears
    // PR_SET_PDEATHSIG, so the isolation prefix's setpriv --pdeathsig must come after it. With one,
    // the switch comes after unshare and re-arms the signal itself (userSwitch).
    const full = opts.isolation.mode === 'fallback'
      ? [...(opts.netPrefix ?? []), ...user, ...opts.isolation.prefix, ...argv]
      : [...(opts.netPrefix ?? []), ...opts.isolation.prefix, ...userSwitch(opts.isolation, user), ...argv];
    // detached: its own process group, so a Ctrl-C at the lab's terminal does not hit the pods
    // directly (on a cluster it never would); the lab's cleanup kills them instead.
    const child = spawn(full[0]!, full.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const proc = new ContainerProcess(child, opts.isolation);
    pipeLines(child, opts.log);
    if (child.pid === undefined) return proc;
    if (opts.isolation.mode === 'fallback') { proc.pid1 = child.pid; return proc; }
    const deadline = Date.now() + PID1_LOOKUP_MS;
    while (Date.now() < deadline && !proc.done) {
      const kids = childrenOf(child.pid);
      if (kids.length > 0) { proc.pid1 = kids[0]; break; }
      await sleep(2);
    }
    return proc;
  }

  get running(): boolean { return !this.done; }

  /**
   * Sends `sig` to PID 1 from outside its namespace: the kernel itself drops it unless PID 1 caught
   * it. In fallback mode the same rule is applied here by reading SigCgt.
   */
  signal(sig: NodeJS.Signals): SignalOutcome {
    if (this.done || this.pid1 === undefined) return 'not-running';
    if (sig === 'SIGKILL') { this.killNow(); return 'delivered'; }
    const caught = catchesSignal(this.pid1, sig);
    if (this.isolation.mode === 'fallback' && !caught) return 'dropped-by-kernel-rule';
    try { process.kill(this.pid1, sig); } catch { return 'not-running'; }
    return caught ? 'delivered' : 'dropped-by-kernel-rule';
  }

  /**
   * SIGKILL to PID 1 only, so unshare (its parent) reaps it and exits by itself; then the group.
   * Killing both at once leaves PID 1 a zombie until the machine's init reaps it.
   */
  async kill(): Promise<void> {
    if (this.done) return;
    if (this.pid1 !== undefined && this.isolation.mode !== 'fallback') {
      this.killedBySigkill = true;
      try { process.kill(this.pid1, 'SIGKILL'); } catch { /* gone */ }
      await settledWithin(this.exited, 2000);
    }
    this.killNow();
    await settledWithin(this.exited, 5000);
  }

  /** SIGKILL to PID 1 (the kernel then kills the whole namespace) and to the process group; synchronous, for exit hooks. */
  killNow(): void {
    if (this.done) return;
    this.killedBySigkill = true;
    if (this.pid1 !== undefined) { try { process.kill(this.pid1, 'SIGKILL'); } catch { /* gone */ } }
    if (this.child.pid !== undefined) {
      try { process.kill(-this.child.pid, 'SIGKILL'); } catch { /* gone */ }
      try { process.kill(this.child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

/** Waits for `p` at most `ms`, clearing the timer so a finished wait never keeps the lab alive. */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}

function pipeLines(child: ChildProcess, log: WriteStream): void {
  for (const [stream, name] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
    let buf = '';
    stream?.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        if (log.writable) log.write(`${new Date().toISOString()} ${name} ${buf.slice(0, i)}\n`);
        buf = buf.slice(i + 1);
      }
    });
    stream?.on('end', () => { if (buf && log.writable) log.write(`${new Date().toISOString()} ${name} ${buf}\n`); buf = ''; });
  }
}
