import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ErrorClass } from '../../../loadtest/classes.js';
import type { PathKind, RequestRecord } from '../../../loadtest/records.js';
import type { TimelineEvent } from '../../engine/schema.js';
import type { StoredRun } from '../../report/load.js';
import { percentile } from '../../report/stats.js';

// Where each failed request of a stored run sits relative to the rollout events: the signature an
// on-call engineer sees in a dashboard (error class × path × when), measured on the lab's runs.

/** A SIGKILL this close to a failure counts as its cause (the local target logs both in ms). */
export const SIGKILL_NEAR_MS = 250;

export interface Spread { p50: number; p10: number; p90: number; n: number }

export interface Signature {
  arm: string;
  cls: ErrorClass;
  path: PathKind;
  count: number; // over every run of the arm's latest batch
  runs: number;
  sinceRolloutMs: Spread; // after the latest rollout-start of the service
  sinceNewPodMs: Spread | null; // after the newest service pod of this rollout started
  sinceSigtermMs: Spread | null; // after the latest SIGTERM to a service pod of this rollout
  nearSigkillShare: number; // share of failures within SIGKILL_NEAR_MS of a SIGKILL
  sources: string[]; // results/runs/<run>
}

export interface Failure { cls: ErrorClass; path: PathKind; t: number }

/** p10/p50/p90 with the lab's one percentile estimator (lab/report/stats.ts). */
function spread(xs: number[]): Spread | null {
  if (!xs.length) return null;
  const q = (p: number) => Math.round(percentile(xs, p));
  return { p50: q(50), p10: q(10), p90: q(90), n: xs.length };
}

export function failuresOf(dir: string): { failures: Failure[]; events: TimelineEvent[] } | undefined {
  const req = join(dir, 'requests.jsonl.gz');
  const ev = join(dir, 'events.json');
  if (!existsSync(req) || !existsSync(ev)) return undefined;
  const failures: Failure[] = [];
  for (const line of gunzipSync(readFileSync(req)).toString('utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as RequestRecord;
    if (r.class !== 'ok') failures.push({ cls: r.class, path: r.path, t: r.t_end });
  }
  return { failures, events: (JSON.parse(readFileSync(ev, 'utf8')) as { events: TimelineEvent[] }).events };
}

const lastBefore = (ts: number[], t: number, floor: number) => {
  let best: number | undefined;
  for (const x of ts) if (x <= t && x >= floor && (best === undefined || x > best)) best = x;
  return best;
};

interface Acc { count: number; rollout: number[]; newPod: number[]; sigterm: number[]; nearKill: number; sources: Set<string> }

/** Signatures of one arm's runs, grouped by class and path, biggest first. */
export function signaturesOf(arm: string, runs: readonly StoredRun[], resultsDir: string): Signature[] {
  const groups = new Map<string, Acc>();
  for (const run of runs) {
    const data = failuresOf(join(resultsDir, run.dir));
    if (!data) continue;
    const of = (kind: TimelineEvent['kind']) => data.events.filter((e) => e.kind === kind && e.deployment === 'service').map((e) => e.t);
    const [rollouts, starts, terms, kills] = [of('rollout-start'), of('pod-started'), of('sigterm'), of('sigkill')];
    for (const f of data.failures) {
      const r = lastBefore(rollouts, f.t, -Infinity);
      if (r === undefined) continue; // before the first deploy: not a deploy-window signature
      const key = `${f.cls}|${f.path}`;
      const acc = groups.get(key) ?? { count: 0, rollout: [], newPod: [], sigterm: [], nearKill: 0, sources: new Set<string>() };
      acc.count++;
      acc.rollout.push(f.t - r);
      const s = lastBefore(starts, f.t, r);
      if (s !== undefined) acc.newPod.push(f.t - s);
      const k = lastBefore(terms, f.t, r);
      if (k !== undefined) acc.sigterm.push(f.t - k);
      if (kills.some((x) => Math.abs(x - f.t) <= SIGKILL_NEAR_MS)) acc.nearKill++;
      acc.sources.add(`results/${run.dir}`);
      groups.set(key, acc);
    }
  }
  return [...groups.entries()].map(([key, a]) => {
    const [cls, path] = key.split('|') as [ErrorClass, PathKind];
    return {
      arm, cls, path, count: a.count, runs: runs.length, sinceRolloutMs: spread(a.rollout)!, sinceNewPodMs: spread(a.newPod),
      sinceSigtermMs: spread(a.sigterm), nearSigkillShare: a.nearKill / a.count, sources: [...a.sources].sort(),
    };
  }).sort((x, y) => y.count - x.count);
}
