import type { ClientName } from '../../../loadtest/client-semantics.js';
import type { MachineLoad } from '../../engine/machine.js';
import type { ClientScope } from './count.js';

// results/clients/summary.json: what one batch measured; the table, CSV and chart are drawn from it.

export interface ClientsRun {
  arm: string;
  client: ClientName;
  rep: number;
  window: ClientScope;
  total: ClientScope;
  windowMs: number;
  sigkills: number;
}

export interface ClientsSummary {
  experiment: 'clients';
  command: string;
  target: 'local';
  commit: string;
  date: string;
  params: { arms: string[]; clients: ClientName[]; reps: number; rate: number; deploys: number; l7: string; runArtifacts: string; machine: MachineLoad };
  runs: ClientsRun[];
}
