import type { ClassCounts } from '../../loadtest/classes.js';
import type { Progress } from './progress.js';
import type { PhaseMark, ReadySample, TimelineEvent } from './schema.js';

// What one run of the protocol records besides the requests: its phases, its own timeline events,
// the ready-pod samples and the notes; and what it shows on the progress line while it runs.

export const PHASES = ['starting', 'warmup', 'baseline', 'deploy', 'pause', 'cooldown', 'draining', 'audit', 'teardown', 'done'] as const;
export type Phase = (typeof PHASES)[number];

export interface RecorderIdentity {
  arm: string;
  rep: number;
  reps: number;
  progress?: Progress;
  /** when the whole invocation started (progress shows the elapsed time of all runs) */
  startedAt: number;
  etaAt?: () => number | undefined;
}

export class RunRecorder {
  readonly phases: PhaseMark[] = [];
  readonly events: TimelineEvent[] = [];
  readonly readySamples: ReadySample[] = [];
  readonly notes: string[] = [];
  phase: Phase = 'starting';
  private rollout = '';
  private counts: (() => ClassCounts) | undefined;

  constructor(private readonly id: RecorderIdentity) {}

  /** The live request counts of the load generator, once it exists. */
  countFrom(counts: () => ClassCounts): void {
    this.counts = counts;
  }

  show(patch: { rollout?: string } = {}): void {
    if (patch.rollout !== undefined) this.rollout = patch.rollout;
    this.id.progress?.update({
      arm: this.id.arm, rep: this.id.rep, reps: this.id.reps, phase: this.phase, rollout: this.rollout,
      counts: this.counts?.(), startedAt: this.id.startedAt, etaAt: this.id.etaAt?.(),
    });
  }

  /** Closes the running phase and opens the next one (also a `phase` timeline event). */
  enter(name: Phase): void {
    const now = Date.now();
    const last = this.phases.at(-1);
    if (last && last.end === 0) last.end = now;
    this.phases.push({ name, start: now, end: 0 });
    this.events.push({ t: now, kind: 'phase', detail: name });
    this.phase = name;
    this.show();
  }

  phaseInterval(name: Phase): { start: number; end: number } {
    const p = this.phases.find((x) => x.name === name);
    return { start: p?.start ?? 0, end: p?.end ?? 0 };
  }
}
