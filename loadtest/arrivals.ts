import { LabError } from '../common/errors.js';

// Open-model arrival times. Every send time is computed from the start of the run, never from the
// previous response, so slow responses cannot delay (and hide) later arrivals: no coordinated omission.

/** Linear change of the arrival rate from the previous stage's end rate to `target` over `seconds` (k6's ramping-arrival-rate). */
export interface RateStage {
  seconds: number;
  target: number;
}

export type RateProfile = number | { startRate: number; stages: RateStage[] };

interface Segment {
  t0: number; // ms from start
  n0: number; // arrivals before t0
  r0: number; // req/s at t0
  r1: number; // req/s at t1
  dur: number; // ms; Infinity for the final hold
}

export class ArrivalSchedule {
  private readonly segments: Segment[] = [];

  constructor(profile: RateProfile) {
    const { startRate, stages } = typeof profile === 'number' ? { startRate: profile, stages: [] } : profile;
    const check = (r: number, what: string) => {
      if (!Number.isFinite(r) || r < 0) throw new LabError('LAB_BAD_OPTION', `${what} must be a rate >= 0 req/s, got ${r}`);
    };
    check(startRate, 'start rate');
    let t0 = 0;
    let n0 = 0;
    let r0 = startRate;
    for (const [i, s] of stages.entries()) {
      check(s.target, `stage ${i} target`);
      if (!(s.seconds > 0)) throw new LabError('LAB_BAD_OPTION', `stage ${i} needs seconds > 0, got ${s.seconds}`);
      const dur = s.seconds * 1000;
      this.segments.push({ t0, n0, r0, r1: s.target, dur });
      n0 += ((r0 + s.target) / 2) * s.seconds;
      t0 += dur;
      r0 = s.target;
    }
    this.segments.push({ t0, n0, r0, r1: r0, dur: Infinity });
    if (this.segments.every((s) => s.r0 === 0 && s.r1 === 0)) throw new LabError('LAB_BAD_OPTION', 'the arrival rate is 0 everywhere');
  }

  /** Offset in ms from the start at which arrival number i (0-based) is due; Infinity if never. */
  timeOf(i: number): number {
    for (const s of this.segments) {
      const k = i - s.n0; // arrivals into this segment
      const end = s.dur === Infinity ? Infinity : s.n0 + ((s.r0 + s.r1) / 2) * (s.dur / 1000);
      if (i >= end) continue;
      // arrivals over t seconds: r0 t + a t^2 with a = (r1 - r0) / (2 dur); solve for t
      const a = s.dur === Infinity ? 0 : (s.r1 - s.r0) / (2 * (s.dur / 1000));
      let t: number;
      if (Math.abs(a) < 1e-12) {
        if (s.r0 === 0) continue;
        t = k / s.r0;
      } else {
        const disc = s.r0 * s.r0 + 4 * a * k;
        t = (-s.r0 + Math.sqrt(Math.max(0, disc))) / (2 * a);
      }
      return s.t0 + t * 1000;
    }
    return Infinity;
  }
}
