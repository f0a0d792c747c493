import { createHash, randomBytes } from 'node:crypto';
import { LabError } from '../../../common/errors.js';
import type { TimelineEvent } from '../../engine/schema.js';
import type { DeploymentSpec, PodTemplateSpec } from './manifest.js';
import type { Pod } from './pod.js';
import { resolveFenceposts } from './rollout-math.js';

// The Deployment and ReplicaSet controllers (pkg/controller/deployment/rolling.go and
// replica_set.go) for one Deployment: a ReplicaSet per pod-template hash, scale-up of the new one
// bounded by replicas + maxSurge, scale-down of the old ones bounded by replicas − maxUnavailable
// available pods (Ready for minReadySeconds), terminating pods counted by no one.

export interface RolloutProgress {
  deployment: string;
  replicas: number;
  updated: number;
  ready: number;
  available: number;
  oldTerminating: number;
  total: number;
}

interface Waiter { check(): void; fail(err: Error): void }

interface ReplicaSet {
  hash: string;
  template: PodTemplateSpec;
  replicas: number;
  pods: Pod[];
  createdAt: number;
}

export interface ControllerEnv {
  createPod(deployment: string, hash: string, template: PodTemplateSpec): Pod;
  emit(e: Omit<TimelineEvent, 't'>): void;
  onProgress?(p: RolloutProgress): void;
}

/** kubectl rollout restart's annotation: changing it changes the template, hence a new ReplicaSet. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export function templateHash(t: PodTemplateSpec): string {
  return createHash('sha256').update(JSON.stringify(t)).digest('hex').slice(0, 10);
}

export class DeploymentController {
  private readonly sets: ReplicaSet[] = [];
  private readonly terminating = new Set<Pod>();
  private template: PodTemplateSpec;
  private scheduled = false;
  private minReadyTimer: NodeJS.Timeout | undefined;
  private waiters: Waiter[] = [];
  private closed = false;
  private lastProgress = '';

  constructor(readonly spec: DeploymentSpec, private readonly env: ControllerEnv) {
    this.template = spec.template;
  }

  get name(): string { return this.spec.name; }

  /** Every pod this Deployment still has, terminating ones included. */
  pods(): Pod[] { return [...this.sets.flatMap((rs) => rs.pods), ...this.terminating]; }

  readyPods(): Pod[] { return this.sets.flatMap((rs) => rs.pods).filter((p) => p.ready && !p.terminating); }

  private newRS(): ReplicaSet | undefined { return this.sets.find((rs) => rs.hash === templateHash(this.template)); }

  progress(): RolloutProgress {
    const now = Date.now();
    const current = this.newRS();
    const active = this.sets.flatMap((rs) => rs.pods);
    return {
      deployment: this.name,
      replicas: this.spec.replicas,
      updated: current?.pods.length ?? 0,
      ready: active.filter((p) => p.ready).length,
      available: active.filter((p) => p.available(this.spec.minReadySeconds, now)).length,
      oldTerminating: [...this.terminating].filter((p) => p.templateHash !== current?.hash).length,
      total: active.length + this.terminating.size,
    };
  }

  /** Complete: the new ReplicaSet has every replica available, no old pod is left, none is still terminating. */
  complete(allowTerminating = false): boolean {
    const p = this.progress();
    const rs = this.newRS();
    return !!rs && rs.replicas === this.spec.replicas && p.updated === this.spec.replicas && p.available === this.spec.replicas
      && this.sets.every((s) => s === rs || s.pods.length === 0) && (allowTerminating || this.terminating.size === 0);
  }

  start(): void { this.kick(); }

  /** Coalesces every pod change of one tick into one reconcile, as a controller's work queue does. */
  kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => { this.scheduled = false; this.reconcile(); });
  }

  /** `kubectl rollout restart`: a new template annotation, so a new ReplicaSet. */
  restart(): void {
    this.template = { ...this.template, annotations: { ...this.template.annotations, [RESTARTED_AT]: new Date().toISOString() } };
    this.env.emit({ kind: 'rollout-start', deployment: this.name, detail: `template ${templateHash(this.template)}` });
    this.kick();
  }

  /** Resolves when complete() holds (checked after every reconcile); LAB_TIMEOUT after timeoutMs, LAB_CLUSTER_CLOSED on close(). */
  /** With `allowTerminating`, Kubernetes' DeploymentComplete (pkg/controller/deployment/util): terminating pods are counted by no one. */
  waitComplete(timeoutMs: number, opts: { allowTerminating?: boolean } = {}): Promise<void> {
    const complete = () => this.complete(opts.allowTerminating === true);
    if (complete()) return Promise.resolve();
    if (this.closed) return Promise.reject(new LabError('LAB_CLUSTER_CLOSED', `Deployment/${this.name}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => { if (complete()) { done(); resolve(); } },
        fail: (err) => { done(); reject(err); },
      };
      const timer = setTimeout(() => {
        const p = this.progress();
        waiter.fail(new LabError('LAB_TIMEOUT', `Deployment/${this.name} not complete after ${timeoutMs} ms (updated ${p.updated}, available ${p.available}/${p.replicas}, old terminating ${p.oldTerminating}); see the pod logs`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== waiter); };
      this.waiters.push(waiter);
    });
  }

  private scaleTo(rs: ReplicaSet, replicas: number): void {
    rs.replicas = Math.max(0, replicas);
  }

  private reconcile(): void {
    if (this.closed) return;
    const now = Date.now();
    const minReady = this.spec.minReadySeconds;
    const available = (rs: ReplicaSet) => rs.pods.filter((p) => p.available(minReady, now)).length;
    const hash = templateHash(this.template);
    let rs = this.newRS();
    const old = () => this.sets.filter((s) => s !== rs).sort((a, b) => a.createdAt - b.createdAt);
    if (!rs) {
      rs = { hash, template: this.template, replicas: this.sets.length === 0 ? this.spec.replicas : 0, pods: [], createdAt: now };
      this.sets.push(rs);
    }
    const replicas = this.spec.replicas;
    if (this.spec.paused) { /* nothing moves while paused */ }
    else if (this.spec.strategy.type === 'Recreate') {
      for (const o of old()) this.scaleTo(o, 0);
      const oldLeft = old().some((o) => o.pods.length > 0) || [...this.terminating].some((p) => p.templateHash !== hash);
      if (!oldLeft) this.scaleTo(rs, replicas);
    } else {
      const { maxSurge, maxUnavailable } = resolveFenceposts(replicas, this.spec.strategy.maxSurge, this.spec.strategy.maxUnavailable);
      // reconcileNewReplicaSet
      const total = () => this.sets.reduce((n, s) => n + s.replicas, 0);
      let scaled = false;
      if (rs.replicas > replicas) { this.scaleTo(rs, replicas); scaled = true; }
      else if (rs.replicas < replicas) {
        const up = Math.min(replicas + maxSurge - total(), replicas - rs.replicas);
        if (up > 0) { this.scaleTo(rs, rs.replicas + up); scaled = true; }
      }
      // reconcileOldReplicaSets, only in a sync that did not scale up (rolloutRolling returns early)
      const minAvailable = replicas - maxUnavailable;
      const newUnavailable = rs.replicas - available(rs);
      let maxScaledDown = total() - minAvailable - newUnavailable;
      if (scaled) this.kick();
      else if (maxScaledDown > 0) {
        // cleanupUnhealthyReplicas: old pods that are not available go first, they cost nothing.
        for (const o of old()) {
          if (maxScaledDown <= 0) break;
          const unhealthy = o.replicas - available(o);
          const down = Math.min(unhealthy, maxScaledDown, o.replicas);
          if (down > 0) { this.scaleTo(o, o.replicas - down); maxScaledDown -= down; }
        }
        // scaleDownOldReplicaSetsForRollingUpdate: never below minAvailable available pods.
        let budget = this.sets.reduce((n, s) => n + available(s), 0) - minAvailable;
        for (const o of old()) {
          if (budget <= 0) break;
          const down = Math.min(o.replicas, budget);
          if (down > 0) { this.scaleTo(o, o.replicas - down); budget -= down; }
        }
      }
    }
    for (const s of this.sets) this.syncReplicaSet(s);
    // Old ReplicaSets with nothing left are history (revisionHistoryLimit aside).
    for (let i = this.sets.length - 1; i >= 0; i--) {
      const s = this.sets[i]!;
      if (s !== rs && s.replicas === 0 && s.pods.length === 0) this.sets.splice(i, 1);
    }
    this.scheduleMinReadyCheck(now);
    this.report();
    for (const w of [...this.waiters]) w.check();
  }

  /** The ReplicaSet controller: create or delete pods until the active count matches .replicas. */
  private syncReplicaSet(rs: ReplicaSet): void {
    while (rs.pods.length < rs.replicas) {
      rs.pods.push(this.env.createPod(this.name, rs.hash, rs.template));
    }
    if (rs.pods.length > rs.replicas) {
      // controller.ActivePodsWithRanks, simplified: not started, then not ready, then ready for
      // the shortest time, then newest.
      const rank = (p: Pod) => (p.phase === 'Pending' ? 0 : !p.ready ? 1 : 2);
      const victims = [...rs.pods]
        .sort((a, b) => rank(a) - rank(b) || (b.readySince ?? 0) - (a.readySince ?? 0) || b.createdAt - a.createdAt)
        .slice(0, rs.pods.length - rs.replicas);
      for (const v of victims) {
        rs.pods.splice(rs.pods.indexOf(v), 1);
        this.terminating.add(v);
        void v.terminate().then(() => { this.terminating.delete(v); this.kick(); });
      }
    }
  }

  private scheduleMinReadyCheck(now: number): void {
    if (this.minReadyTimer) clearTimeout(this.minReadyTimer);
    this.minReadyTimer = undefined;
    if (this.spec.minReadySeconds === 0) return;
    const pending = this.sets.flatMap((s) => s.pods)
      .filter((p) => p.ready && p.readySince !== undefined && !p.available(this.spec.minReadySeconds, now))
      .map((p) => p.readySince! + this.spec.minReadySeconds * 1000 - now);
    if (pending.length > 0) this.minReadyTimer = setTimeout(() => this.kick(), Math.max(1, Math.min(...pending) + 1));
  }

  private report(): void {
    const p = this.progress();
    const key = JSON.stringify(p);
    if (key === this.lastProgress) return;
    this.lastProgress = key;
    this.env.onProgress?.(p);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.minReadyTimer) clearTimeout(this.minReadyTimer);
    for (const w of [...this.waiters]) w.fail(new LabError('LAB_CLUSTER_CLOSED', `Deployment/${this.name} was mid-rollout`));
  }
}

export function podName(deployment: string, hash: string): string {
  return `${deployment}-${hash.slice(0, 10)}-${randomBytes(3).toString('hex').slice(0, 5)}`;
}
