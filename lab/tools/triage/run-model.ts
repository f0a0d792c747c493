import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RequestRecord } from '../../../loadtest/records.js';
import type { RunTimeline } from '../../engine/schema.js';
import type { RunEvidence } from '../../report/evidence.js';

// What a stored run's evidence says about each service pod over time: when the routing view (what
// the L4 path and the ingress choose from) listed it, when it listened, when its listener closed
// and when it was SIGKILLed; and how many pods accepted a TCP connection (the serving probe).
// Triage and the `before` prediction read the same model.

export interface PodModel {
  pod: string;
  /** in the routing view over [viewFrom, viewTo) (−∞/+∞ when it was there before the load / never left) */
  viewFrom: number;
  viewTo: number;
  /** listening from this moment (−∞: before the load started; +∞ when the evidence does not say) */
  listeningAt: number;
  /** its listener was gone from this moment: listener-closed line, SIGKILL or exit (+∞: never) */
  closedAt: number;
  sigkillAt?: number;
  leftAt?: number;
}

export interface RunModel {
  records: RequestRecord[];
  timeline: RunTimeline;
  pods: PodModel[];
  rollouts: number[];
  sigkills: number[];
  /** the serving probe's samples of the service Deployment, or undefined for runs before the probe */
  serving?: Array<{ t: number; n: number }>;
  hasEvidence: boolean;
}

const DEPLOYMENT = 'service';

export function loadRunModel(dir: string): RunModel | undefined {
  const req = join(dir, 'requests.jsonl.gz');
  const ev = join(dir, 'events.json');
  if (!existsSync(req) || !existsSync(ev)) return undefined;
  const records = gunzipSync(readFileSync(req)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestRecord);
  const timeline = JSON.parse(readFileSync(ev, 'utf8')) as RunTimeline;
  const evFile = join(dir, 'evidence.json');
  const evidence = existsSync(evFile) ? JSON.parse(readFileSync(evFile, 'utf8')) as RunEvidence : undefined;
  const events = timeline.events;
  const mine = (kind: string) => events.filter((e) => e.kind === kind && e.deployment === DEPLOYMENT);
  const first = (kind: string, pod: string) => events.find((e) => e.kind === kind && e.pod === pod)?.t;
  const rollouts = mine('rollout-start').map((e) => e.t);
  const firstRollout = rollouts[0] ?? Infinity;
  const pods = mine('pod-started').map((s): PodModel => {
    const pod = s.pod!;
    const term = first('sigterm', pod);
    const kill = first('sigkill', pod);
    const exit = first('pod-exit', pod);
    const gap = evidence?.started.find((g) => g.pod === pod);
    const steps = evidence?.pods.find((p) => p.pod === pod)?.steps ?? [];
    const closedStep = steps.find((x) => x.step === 'listener closed')?.at;
    const closed = term !== undefined && typeof closedStep === 'number' ? term + closedStep : Math.min(kill ?? Infinity, exit ?? Infinity);
    return {
      pod,
      viewFrom: first('view-added', pod) ?? (s.t < firstRollout ? -Infinity : Infinity),
      viewTo: first('view-removed', pod) ?? Infinity,
      // pods started before the first rollout listened before the load began (the lab waits for them)
      listeningAt: gap?.listeningMs != null ? s.t + gap.listeningMs : s.t < firstRollout ? -Infinity : Infinity,
      closedAt: closed,
      ...(kill !== undefined ? { sigkillAt: kill } : {}),
      ...(first('pod-terminating', pod) !== undefined ? { leftAt: first('pod-terminating', pod)! } : {}),
    };
  });
  const serving = timeline.servingSamples?.map((x) => ({ t: x.t, n: x.serving[DEPLOYMENT] ?? 0 }));
  return { records, timeline, pods, rollouts, sigkills: mine('sigkill').map((e) => e.t), ...(serving ? { serving } : {}), hasEvidence: !!evidence };
}

/** Serving-probe counts that describe [a, b]: the last sample at or before a and every sample inside. */
export function servingDuring(m: RunModel, a: number, b: number): number[] | undefined {
  if (!m.serving?.length) return undefined;
  let before: number | undefined;
  const inside: number[] = [];
  for (const s of m.serving) {
    if (s.t <= a) before = s.n;
    else if (s.t <= b) inside.push(s.n);
  }
  return before === undefined ? inside : [before, ...inside];
}

/** Pods the routing view listed at some moment of [a, b]. */
export const routableDuring = (m: RunModel, a: number, b: number): PodModel[] => m.pods.filter((p) => p.viewFrom <= b && p.viewTo > a);
