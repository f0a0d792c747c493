import type { ClassCounts } from '../../loadtest/classes.js';
import type { Coverage } from './coverage.js';
import type { DeregistrationReport } from './deregistration.js';
import type { ServingSample } from './serving-probe.js';

// The result schema (docs/results-guide.md explains each field). Both targets write RunSummary;
// tables aggregate them per arm.

/** One timeline event, from the local target's simulated control plane or the kind target's watches. */
export interface TimelineEvent {
  /** epoch milliseconds */
  t: number;
  kind:
    | 'rollout-start' | 'rollout-done'
    | 'pod-created' | 'pod-started' | 'pod-ready' | 'pod-unready' | 'pod-terminating'
    | 'prestop-done' | 'sigterm' | 'pod-exit' | 'sigkill'
    | 'endpoint-added' | 'endpoint-removed' | 'view-added' | 'view-removed'
    | 'phase' | 'note';
  deployment?: string;
  pod?: string;
  detail?: string;
  exitCode?: number | null;
}

export interface JobAudit {
  accepted: number;      // 202 received by the load generator
  applied: number;       // distinct accepted jobs whose side effect was applied
  lost: number;          // accepted, never applied
  duplicated: number;    // side effects applied more than once (extra applications)
  unacknowledged: number; // applied although the client never got a 202 (the request failed mid-way)
  balanceMismatches: number; // accounts whose balance != sum of applied amounts of accepted jobs
}

export interface RunParams {
  rate: number;
  deploys: number;
  propagationDelayMs: number | null; // null on kind: measured, not modeled
  keepAlive: boolean;
  paths: string[];                   // 'l4' | 'ingress'
  [k: string]: unknown;
}

export interface RunSummary {
  arm: string;
  levers: string[];
  target: 'local' | 'kind';
  rep: number;
  command: string;
  commit: string;
  date: string;                      // ISO
  params: RunParams;
  notes: string[];                   // loud caveats, e.g. "no PID namespace: fallback used"
  requests: number;
  droppedIterations: number;
  window: { start: number; end: number }; // deploy window, epoch ms
  windowCounts: ClassCounts;          // requests scheduled inside the deploy window
  totalCounts: ClassCounts;
  windowErrorRate: number;            // non-ok / all, inside the window
  p99SteadyMs: number;
  p99RollMs: number;
  deployDurationMs: number;           // median over the N deploys
  minReadyPods: number;
  /** fewest service pods accepting a TCP connection in the window (absent in runs made before the probe) */
  minServingPods?: number;
  sigkills: number;
  jobs: JobAudit;
  /** measured deregistration delay (lab/engine/deregistration.ts); absent in runs made before it existed */
  deregistration?: DeregistrationReport;
  /** whether the records cover what was sent (lab/engine/coverage.ts); absent in runs made before the check */
  coverage?: Coverage;
  /** the client whose view the counts above are, with the raw counts beside; absent in runs made before (lab/report/client-counts.ts clientOf) */
  client?: ClientCounts;
}

/**
 * The client a run measured with (loadtest/client-semantics.ts) and what it hid. windowCounts and
 * totalCounts are failures as that client saw them; these are the counts a client that never resends
 * would have reported, and how many requests the client resent. null where the resends are invisible:
 * k6's Go Transport resends inside one http.request call, so a k6 run knows only what k6 saw.
 */
export interface ClientCounts {
  name: 'go' | 'node';
  rawWindowCounts: ClassCounts | null;
  rawTotalCounts: ClassCounts | null;
  resentWindow: number | null;
  resentTotal: number | null;
}

/** What identifies a run and how it was made: shared by both targets' summary builders. */
export type RunMeta = Pick<RunSummary, 'arm' | 'levers' | 'target' | 'rep' | 'command' | 'commit' | 'date' | 'params' | 'notes'>;

/** Ready pods per Deployment at one moment (sampled every 100 ms by the protocol). */
export interface ReadySample {
  t: number;
  ready: Record<string, number>;
}

/** One phase of the protocol (warmup, baseline, deploy, …), epoch ms; end 0 while it runs. */
export interface PhaseMark {
  name: string;
  start: number;
  end: number;
}

/** A run's events.json: what the timeline chart draws besides the requests. */
export interface RunTimeline {
  events: TimelineEvent[];
  phases: PhaseMark[];
  readySamples: ReadySample[];
  /** pods accepting a TCP connection, per deployment (lab/engine/serving-probe.ts); absent in older runs */
  servingSamples?: ServingSample[];
}
