import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../../../common/errors.js';
import type { TimelineEvent } from '../../engine/schema.js';
import { assertPortFree } from './addresses.js';
import { ContainerProcess, type ContainerExit } from './container-process.js';
import { localCommand, type LocalCommand, type PodContext } from './container-env.js';
import { volumePayload, writeAtomicVolume } from './configmap-volume.js';
import { userSwitch, type Isolation } from './isolation.js';
import { execOnce, httpGetOnce, ProbeWorker, type ProbeKind, type ProbeOutcome, type ProbeTarget } from './kubelet-probes.js';
import type { Manifest, PodTemplateSpec, PortRef } from './manifest.js';
import type { PodNetwork } from './pod-network.js';
import { listeningSockets, type Listener } from './pod-sockets.js';
import { givePodDir, giveVolume, type PodUser } from './pod-user.js';

// One pod: a real process tree run with the kubelet's rules for start, probes, restarts and
// termination (preStop, SIGTERM to PID 1, grace period counted from before preStop, SIGKILL).

export const POD_PHASES = { Pending: 'Pending', Running: 'Running', Terminating: 'Terminating', Terminated: 'Terminated' } as const;
export type PodPhase = (typeof POD_PHASES)[keyof typeof POD_PHASES];

/** kubelet's CrashLoopBackOff: 10 s doubling, capped at 5 min. */
const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
/** kubelet grants this once when preStop used up the whole grace period, so SIGTERM still gets a chance. */
const PRESTOP_OVERRUN_EXTENSION_MS = 2_000;
const EXIT_AFTER_SIGKILL_MS = 5_000;

export interface PodEnv {
  namespace: string;
  repoRoot: string;
  runDir: string;
  isolation: Isolation;
  /** who the pod's processes run as (lab/targets/local/pod-user.ts), resolved before any pod starts */
  user: PodUser;
  /** set in 'netns' mode: the pod gets its own network namespace; unset: it shares the host's and binds its own 127.x.y.z */
  network?: PodNetwork;
  manifest: Pick<Manifest, 'configMaps' | 'secrets'>;
  serviceAddress(dnsName: string): string | undefined;
  emit(e: Omit<TimelineEvent, 't'>): void;
  /** called on every change the controllers and endpoints care about */
  changed(pod: Pod): void;
  /** an error that makes the pod unable to ever start (port taken, missing ConfigMap) */
  fatal(err: Error): void;
}

// unref: the race against the pod's exit must not keep a finished lab (or a test file) alive for a grace period
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)).unref());

export class Pod {
  phase: PodPhase = POD_PHASES.Pending;
  ready = false;
  /** epoch ms the pod last became Ready (for minReadySeconds) */
  readySince: number | undefined;
  readonly createdAt = Date.now();
  restartCount = 0;
  lastExit: ContainerExit | undefined;
  /** exits the container made on its own (not stopped by the kubelet), for crash-loop evidence */
  readonly ownExits: Array<{ t: number; exit: ContainerExit }> = [];
  /** epoch ms of the pending back-off restart, if one is scheduled */
  nextRestartAt: number | undefined;
  /** the last outcome of the startup or readiness probe: what the kubelet saw */
  probeSeen: { kind: ProbeKind; at: number } & ProbeOutcome | undefined;
  private proc: ContainerProcess | undefined;
  private probes: ProbeWorker[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private terminated: Promise<void> | undefined;
  /** the lab is shutting down: no restarts, no more events */
  private tornDown = false;
  private containerStopping: Promise<void> | undefined;
  private readonly log: WriteStream;
  private readonly dir: string;
  private readonly mounts: Array<{ mountPath: string; dir: string; volume: string }> = [];
  /** argv prefix entering the pod's network namespace ('netns' mode), kept across container restarts like a pod sandbox */
  private netPrefix: string[] | undefined;

  constructor(
    readonly name: string,
    readonly deployment: string,
    readonly templateHash: string,
    readonly template: PodTemplateSpec,
    readonly ip: string,
    private readonly env: PodEnv,
  ) {
    this.dir = join(env.runDir, 'pods', name);
    mkdirSync(this.dir, { recursive: true });
    givePodDir(env.user, this.dir);
    // The log stays the lab's: it is written from the pipes, not by the pod's user.
    this.log = createWriteStream(join(env.runDir, 'pods', `${name}.log`), { flags: 'a' });
    this.log.on('error', () => undefined); // a log that cannot be written must not take the lab down
    this.emit('pod-created', `ip ${ip}`);
  }

  get labels(): Record<string, string> { return this.template.labels; }
  get terminating(): boolean { return this.phase === POD_PHASES.Terminating || this.phase === POD_PHASES.Terminated; }
  get logFile(): string { return join(this.env.runDir, 'pods', `${this.name}.log`); }
  /** host pid of the container's PID 1, while it runs */
  get pid1(): number | undefined { return this.proc?.running ? this.proc.pid1 : undefined; }
  get hostPids(): number[] {
    const p = this.proc;
    return p?.running ? [p.pid1, p.child.pid].filter((x): x is number => x !== undefined) : [];
  }

  get running(): boolean { return this.proc?.running === true; }
  get hasReadinessProbe(): boolean { return this.template.container.readinessProbe !== undefined; }

  /** The port readiness is judged on: the readiness probe's (httpGet/tcpSocket), else the first container port. */
  get readinessPort(): number | undefined {
    const a = this.template.container.readinessProbe?.action;
    if (a && 'httpGet' in a) return this.resolvePort(a.httpGet.port);
    if (a && 'tcpSocket' in a) return this.resolvePort(a.tcpSocket.port);
    return this.template.container.ports[0]?.containerPort;
  }

  /** TCP sockets the container's processes listen on now (empty when it is not running). */
  listening(): Listener[] {
    const p = this.proc;
    if (!p?.running || p.child.pid === undefined) return [];
    return listeningSockets(p.child.pid, p.pid1 ?? p.child.pid);
  }

  resolvePort(port: PortRef): number {
    if (typeof port === 'number') return port;
    const hit = this.template.container.ports.find((p) => p.name === port);
    if (!hit) throw new LabError('LAB_BAD_MANIFEST', `Deployment/${this.deployment}: no container port named "${port}"`);
    return hit.containerPort;
  }

  /** True when Ready for at least minReadySeconds and not terminating (Deployment "available"). */
  available(minReadySeconds: number, now = Date.now()): boolean {
    return this.ready && !this.terminating && this.readySince !== undefined && now - this.readySince >= minReadySeconds * 1000;
  }

  private emit(kind: TimelineEvent['kind'], detail?: string, exitCode?: number | null): void {
    this.env.emit({ kind, deployment: this.deployment, pod: this.name, ...(detail !== undefined ? { detail } : {}), ...(exitCode !== undefined ? { exitCode } : {}) });
    if (this.log.writable) this.log.write(`${new Date().toISOString()} kubelet ${kind}${detail ? ` ${detail}` : ''}${exitCode !== undefined ? ` exitCode=${exitCode}` : ''}\n`);
  }

  private setReady(ready: boolean): void {
    if (ready === this.ready) return;
    this.ready = ready;
    this.readySince = ready ? Date.now() : undefined;
    this.emit(ready ? 'pod-ready' : 'pod-unready');
    this.env.changed(this);
  }

  private context(): PodContext {
    return {
      podName: this.name, namespace: this.env.namespace, podIP: this.ip, hostIP: this.env.network?.gateway ?? '127.0.0.1', repoRoot: this.env.repoRoot, podDir: this.dir,
      mounts: this.mounts, manifest: this.env.manifest, serviceAddress: (h) => this.env.serviceAddress(h),
    };
  }

  private async materializeVolumes(): Promise<void> {
    for (const v of this.template.volumes) {
      const dir = join(this.dir, 'volumes', v.name);
      if ('emptyDir' in v.source) {
        mkdirSync(dir, { recursive: true });
        giveVolume(this.env.user, dir, this.template.container.volumeMounts.some((m) => m.name === v.name && !m.readOnly));
        continue;
      }
      await this.writeVolume(v.name, dir);
    }
    for (const m of this.template.container.volumeMounts) {
      if (!this.template.volumes.some((v) => v.name === m.name)) throw new LabError('LAB_BAD_MANIFEST', `Deployment/${this.deployment}: volumeMount "${m.name}" names no volume`);
      const base = join(this.dir, 'volumes', m.name);
      this.mounts.push({ mountPath: m.mountPath, dir: m.subPath ? join(base, m.subPath) : base, volume: m.name });
    }
  }

  private async writeVolume(volume: string, dir: string): Promise<void> {
    const v = this.template.volumes.find((x) => x.name === volume)!;
    const src = 'configMap' in v.source ? { kind: 'ConfigMap', ...v.source.configMap } : 'secret' in v.source ? { kind: 'Secret', ...v.source.secret } : undefined;
    if (!src) return;
    const data = (src.kind === 'ConfigMap' ? this.env.manifest.configMaps : this.env.manifest.secrets).get(src.name);
    if (!data && !src.optional) throw new LabError('LAB_UNKNOWN_OBJECT', `${src.kind}/${src.name} (volume "${volume}" of Deployment/${this.deployment})`);
    await writeAtomicVolume(dir, volumePayload(data ?? {}, src.items));
    giveVolume(this.env.user, dir, false);
  }

  /** Rewrites every volume of this pod backed by ConfigMap/Secret `name` (kubelet's periodic volume sync, done at once). */
  async refreshVolumes(kind: 'ConfigMap' | 'Secret', name: string): Promise<boolean> {
    let touched = false;
    for (const v of this.template.volumes) {
      const ref = kind === 'ConfigMap' && 'configMap' in v.source ? v.source.configMap.name : kind === 'Secret' && 'secret' in v.source ? v.source.secret.name : undefined;
      if (ref === name && !this.terminating) { await this.writeVolume(v.name, join(this.dir, 'volumes', v.name)); touched = true; }
    }
    return touched;
  }

  async start(): Promise<void> {
    try {
      await this.materializeVolumes();
      await this.startContainer();
    } catch (err) {
      this.env.fatal(err as Error);
    }
  }

  private probeTarget(cmd: LocalCommand): ProbeTarget {
    return { ip: this.ip, resolvePort: (p) => this.resolvePort(p), env: cmd.env, cwd: cmd.cwd, userPrefix: userSwitch(this.env.isolation, this.env.user.prefix), ...(this.netPrefix ? { netPrefix: this.netPrefix } : {}) };
  }

  private async startContainer(): Promise<void> {
    if (this.terminating || this.tornDown) return;
    const c = this.template.container;
    const cmd = localCommand(c, this.context());
    // A pod's own namespace cannot collide; a shared one can, when something else holds the port.
    if (this.env.network) {
      try { this.netPrefix ??= await this.env.network.attach(this.ip); } catch (e) {
        if (this.terminating || this.tornDown) return; // deleted while its namespace was being made: detach removed it
        throw e;
      }
    } else for (const p of c.ports) await assertPortFree(this.ip, p.containerPort, `pod ${this.name} container port ${p.name ?? p.containerPort}`);
    if (this.terminating || this.tornDown) return;
    const proc = await ContainerProcess.start(cmd.argv, { env: cmd.env, cwd: cmd.cwd, isolation: this.env.isolation, userPrefix: this.env.user.prefix, log: this.log, ...(this.netPrefix ? { netPrefix: this.netPrefix } : {}) });
    this.proc = proc;
    if (this.tornDown) { proc.killNow(); return; }
    this.phase = POD_PHASES.Running;
    this.emit('pod-started', `pid1 ${proc.pid1 ?? '?'} (${this.env.isolation.mode}) ${cmd.argv.join(' ')}`);
    void proc.exited.then((exit) => this.onContainerExit(proc, exit));
    if (this.terminating) return; // deleted while starting: terminate() takes it from here
    const target = this.probeTarget(cmd);
    const seen = (kind: ProbeKind) => (o: ProbeOutcome) => { this.probeSeen = { kind, at: Date.now(), ...o }; };
    const startReadinessAndLiveness = () => {
      if (c.readinessProbe) this.addProbe(new ProbeWorker('readiness', c.readinessProbe, target, (ok) => this.setReady(ok), seen('readiness')));
      else this.setReady(true); // no readiness probe: Ready as soon as the container has started
      if (c.livenessProbe) {
        this.addProbe(new ProbeWorker('liveness', c.livenessProbe, target, (ok) => {
          if (!ok) void this.restartContainer('liveness probe failed');
        }));
      }
    };
    if (c.startupProbe) {
      this.addProbe(new ProbeWorker('startup', c.startupProbe, target, (ok) => {
        if (ok) startReadinessAndLiveness();
        else void this.restartContainer('startup probe failed');
      }, seen('startup')));
    } else startReadinessAndLiveness();
  }

  private addProbe(w: ProbeWorker): void {
    this.probes.push(w);
    w.start();
  }

  private stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  private onContainerExit(proc: ContainerProcess, exit: ContainerExit): void {
    if (proc !== this.proc) return;
    this.lastExit = exit;
    if (this.containerStopping || this.terminating || this.tornDown) return; // the stop sequence records the exit itself
    this.ownExits.push({ t: Date.now(), exit });
    this.emit('pod-exit', `container exited on its own${exit.signal ? ` (${exit.signal})` : ''}`, exit.exitCode);
    this.stopProbes();
    this.setReady(false);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.restartCount);
    this.restartCount++;
    this.emit('note', `restart ${this.restartCount} in ${delay} ms (restartPolicy Always, back-off)`);
    this.nextRestartAt = Date.now() + delay;
    this.env.changed(this);
    this.restartTimer = setTimeout(() => {
      this.nextRestartAt = undefined;
      void this.startContainer().catch((e: Error) => this.env.fatal(e));
    }, delay);
  }

  private async restartContainer(reason: string): Promise<void> {
    if (this.containerStopping || this.terminating) return;
    this.emit('note', `${reason}: container will be restarted`);
    this.setReady(false);
    await this.stopContainer();
    if (!this.terminating) this.scheduleRestart();
  }

  /**
   * The kubelet's killContainer: preStop, then SIGTERM to PID 1, SIGKILL when the grace period
   * (counted from before preStop) runs out.
   */
  private stopContainer(): Promise<void> {
    this.containerStopping ??= (async () => {
      this.stopProbes();
      const proc = this.proc;
      if (!proc?.running) return;
      const graceMs = this.template.terminationGracePeriodSeconds * 1000;
      const deadline = Date.now() + graceMs;
      const pre = this.template.container.preStop;
      if (pre && graceMs > 0) {
        const started = Date.now();
        const budget = () => Math.max(0, deadline - Date.now());
        let what: string;
        if ('sleepSeconds' in pre) { what = `sleep ${pre.sleepSeconds}s`; await Promise.race([sleep(pre.sleepSeconds * 1000), sleep(budget()), proc.exited]); }
        else if ('exec' in pre) {
          what = `exec ${pre.exec.join(' ')}`;
          const cmd = localCommand(this.template.container, this.context());
          await Promise.race([execOnce(pre.exec, this.probeTarget(cmd), budget()), proc.exited]);
        } else {
          what = `httpGet ${pre.httpGet.path}`;
          await Promise.race([httpGetOnce(pre.httpGet, { ip: this.ip, resolvePort: (p) => this.resolvePort(p), env: {}, cwd: this.dir }, Math.max(1, budget())), proc.exited]);
        }
        this.emit('prestop-done', `${what} took ${Date.now() - started} ms`);
      }
      let killAt = deadline;
      if (pre && Date.now() >= deadline) killAt = Date.now() + PRESTOP_OVERRUN_EXTENSION_MS;
      if (proc.running && graceMs > 0) {
        const outcome = proc.signal('SIGTERM');
        this.emit('sigterm', `${outcome} (pid1 ${proc.pid1 ?? '?'})`);
        await Promise.race([proc.exited, sleep(killAt - Date.now())]);
      }
      if (proc.running) {
        this.emit('sigkill', `grace period of ${this.template.terminationGracePeriodSeconds}s over`);
        proc.killNow();
        await Promise.race([proc.exited, sleep(EXIT_AFTER_SIGKILL_MS)]);
      }
      const exit = await Promise.race([proc.exited, sleep(0).then(() => undefined)]);
      this.lastExit = exit ?? this.lastExit;
      this.emit('pod-exit', exit?.signal ? `killed by ${exit.signal}` : 'exited', exit?.exitCode ?? null);
    })().finally(() => { this.containerStopping = undefined; });
    return this.containerStopping;
  }

  /** Pod deletion: Ready false at once (the endpoint goes terminating), then the container's stop sequence. Memoised. */
  terminate(): Promise<void> {
    this.terminated ??= (async () => {
      if (this.restartTimer) clearTimeout(this.restartTimer);
      const wasReady = this.ready;
      this.phase = POD_PHASES.Terminating;
      this.ready = false;
      this.readySince = undefined;
      this.emit('pod-terminating', `grace ${this.template.terminationGracePeriodSeconds}s`);
      if (wasReady) this.emit('pod-unready', 'terminating');
      this.env.changed(this);
      if (this.containerStopping) await this.containerStopping; // a liveness restart was under way
      await this.stopContainer();
      await this.env.network?.detach(this.ip);
      this.phase = POD_PHASES.Terminated;
      this.env.changed(this);
      this.log.end();
    })();
    return this.terminated;
  }

  /** Teardown of the whole lab: SIGKILL now, no grace (this is not a Kubernetes action). Synchronous. */
  killNow(): void {
    this.tornDown = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.stopProbes();
    this.proc?.killNow();
  }

  /** Teardown, asynchronous: SIGKILL and wait for the exit (no grace; not a Kubernetes action). */
  async kill(): Promise<void> {
    this.tornDown = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.stopProbes();
    await this.proc?.kill();
    await this.env.network?.detach(this.ip);
  }

  async closeLog(): Promise<void> {
    if (this.proc?.running) await Promise.race([this.proc.exited, sleep(EXIT_AFTER_SIGKILL_MS)]);
    if (!this.log.writableEnded) await new Promise<void>((r) => this.log.end(r));
  }
}
