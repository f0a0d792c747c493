import type { MachineLoad } from '../../engine/machine.js';
import type { RunCounts } from './count.js';

// results/keepalive/summary.json: what one batch measured, from which the table, CSV and chart are rendered.

export interface KeepAliveRun extends RunCounts {
  arm: string;
  rate: number;
  /** the service's replicas: with half the arrivals via the ingress, round robin gives each pod one every 2 × replicas / rate s */
  replicas: number;
  /** the pod's idle close measured on the wire before the load; undefined: not within the probe's bound */
  closeMs: number | undefined;
  hintS: number | undefined;
  /** the lab process's event-loop delay during the load (the proxy runs on that loop) */
  loopDelayMs: { p50: number; p99: number; max: number };
  windowMs: number;
  deployDurationMs: number;
}

export interface KeepAliveSummary {
  experiment: 'keepalive';
  command: string;
  target: 'local';
  commit: string;
  date: string;
  params: {
    arms: string[]; rates: number[]; deploys: number; phases: Record<string, number>; mix: string[];
    toleranceMs: number; proxy: { id: string; idleTimeoutS: number }; runArtifacts: string; machine: MachineLoad;
    /** the generator's client (absent in batches made before it was recorded: they ran `go`'s resends with undici's idle timeout) */
    client?: string;
  };
  runs: KeepAliveRun[];
}

/** A rate below 1/s (the L4 pair) as 3 decimals; whole rates as they are. */
export const rateText = (r: number): string => String(Math.round(r * 1000) / 1000);
