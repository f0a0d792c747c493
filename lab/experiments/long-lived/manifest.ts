import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { LabError } from '../../../common/errors.js';
import { REPO_ROOT } from '../../engine/meta.js';
import type { LongLivedArm } from './options.js';

// The arm's rendered manifest with the service Deployment sized from the deregistration delay,
// written next to the run (overrides applied to k8s/rendered/<arm>.yaml, never a hand-copied
// manifest). The sizing, for the `after` arm (every lever on):
//   preStop sleep  = deregistration + 1 s: the process only hears SIGTERM once no router can still
//                    send it a new connection;
//   deadline       = drain delay + stream drain window + 2 s: the readiness delay, then the reconnect
//                    signals spread over the window, then the close margin;
//   grace period   = preStop + deadline + 2 s (Kubernetes counts it from before preStop).
// The `before` arm keeps its manifest (no preStop, LAB_FIXES=none); both get the same event pace
// and upload rate so the clients see the same service.

export const SERVICE = 'service';
const EVENTS_INTERVAL_MS = 200;

export interface Sizing {
  deregistrationS: number;
  drainWindowS: number;
  uploadBytesPerS: number;
}

export interface ServiceOverrides {
  preStopSleepSeconds: number | null;
  terminationGracePeriodSeconds: number;
  env: Record<string, string>;
}

type Obj = Record<string, any>;

function setEnv(container: Obj, name: string, value: string): void {
  container.env ??= [];
  const e = (container.env as Obj[]).find((x) => x.name === name);
  if (e) { e.value = value; delete e.valueFrom; } else (container.env as Obj[]).push({ name, value });
}

function envValue(container: Obj, name: string): string | undefined {
  return (container.env as Obj[] | undefined)?.find((x) => x.name === name)?.value as string | undefined;
}

/** Applies the sizing to the service Deployment of `docs` (in place) and returns what was set. */
export function sizeService(docs: Obj[], arm: LongLivedArm, s: Sizing): ServiceOverrides {
  const dep = docs.find((d) => d?.kind === 'Deployment' && d.metadata?.name === SERVICE);
  const container = (dep?.spec?.template?.spec?.containers as Obj[] | undefined)?.find((c) => c.name === SERVICE);
  if (!dep || !container) throw new LabError('LAB_BAD_MANIFEST', `k8s/rendered/${arm}.yaml has no Deployment/${SERVICE} with a container "${SERVICE}"`);
  const podSpec = dep.spec.template.spec as Obj;
  const env: Record<string, string> = {
    EVENTS_INTERVAL_MS: String(EVENTS_INTERVAL_MS),
    UPLOAD_BYTES_PER_S: String(s.uploadBytesPerS),
    STREAM_DRAIN_MS: String(s.drainWindowS * 1000),
  };
  let preStop: number | null = null;
  if (arm === 'after') {
    const drainDelayMs = Number(envValue(container, 'DRAIN_DELAY_MS') ?? 0);
    const deadlineMs = drainDelayMs + s.drainWindowS * 1000 + 2000;
    env.SHUTDOWN_DEADLINE_MS = String(deadlineMs);
    preStop = s.deregistrationS + 1;
    container.lifecycle = { ...container.lifecycle, preStop: { sleep: { seconds: preStop } } };
    podSpec.terminationGracePeriodSeconds = preStop + Math.ceil(deadlineMs / 1000) + 2;
  }
  for (const [k, v] of Object.entries(env)) setEnv(container, k, v);
  return { preStopSleepSeconds: preStop, terminationGracePeriodSeconds: podSpec.terminationGracePeriodSeconds as number, env };
}

/** Writes `<runDir>/manifest.yaml`: k8s/rendered/<arm>.yaml with the service sized; returns its path and the overrides. */
export function writeSizedManifest(arm: LongLivedArm, s: Sizing, runDir: string): { file: string; overrides: ServiceOverrides } {
  const src = join(REPO_ROOT, 'k8s/rendered', `${arm}.yaml`);
  let text: string;
  try { text = readFileSync(src, 'utf8'); } catch (e) { throw new LabError('LAB_MISSING_MANIFEST', `${src}: ${(e as Error).message} (run make render)`); }
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((d) => d !== null);
  const overrides = sizeService(docs, arm, s);
  const file = join(runDir, 'manifest.yaml');
  const head = `# k8s/rendered/${arm}.yaml with the service sized for deregistration ${s.deregistrationS}s (lab/experiments/long-lived/manifest.ts)\n`;
  writeFileSync(file, head + docs.map((d) => stringify(d)).join('---\n'));
  return { file, overrides };
}
