import { RuleContext } from './context.js';
import { resolveDeregistration, seconds, type Deregistration } from './deregistration.js';
import { readDockerfile } from './dockerfile.js';
import { discoverDockerfiles } from './dockerfile-discovery.js';
import { Evidence } from './evidence.js';
import { buildModel } from './model.js';
import { readInputs } from './reader.js';
import { drainRules } from './rules/drain.js';
import { keepaliveRules } from './rules/keepalive.js';
import { manifestRules } from './rules/manifest.js';
import { pid1Rules } from './rules/pid1.js';
import { readinessRules } from './rules/readiness.js';
import { reloadRules } from './rules/reload.js';
import { requeueRules } from './rules/requeue.js';
import { surgeRules } from './rules/surge.js';
import { severityRank, type DoctorOptions, type DoctorReport, type Finding } from './types.js';

const RULE_SETS = [manifestRules, pid1Rules, readinessRules, drainRules, requeueRules, surgeRules, reloadRules, keepaliveRules];

/** The deregistration delay the preStop rules use, and where it came from (for the output's header). */
export function deregistrationFor(o: Pick<DoctorOptions, 'deregistrationS' | 'lb'>): Deregistration {
  return resolveDeregistration(o);
}

const order = (a: Finding, b: Finding) => a.file.localeCompare(b.file) || severityRank(b.severity) - severityRank(a.severity)
  || a.object.localeCompare(b.object) || a.id.localeCompare(b.id) || a.path.localeCompare(b.path);

/** Reads the inputs and runs every rule. Throws LabError (naming the file) on bad input; reads nothing else. */
export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const drainS = o.drainS === undefined ? undefined : seconds('--drain-s', o.drainS);
  const deregistration = deregistrationFor(o);
  const dockerfile = o.dockerfile === undefined ? undefined : readDockerfile(o.dockerfile);
  const objects = readInputs(o.paths);
  let model = buildModel(objects, dockerfile);
  // no --dockerfile: the images' own Dockerfiles, where the repository's skaffold.yaml says which they are
  const found = dockerfile ? undefined : discoverDockerfiles(o.paths, model.workloads.flatMap((w) => w.containers.map((c) => c.spec.image)).filter((i): i is string => typeof i === 'string'));
  if (found?.byImage.size) model = buildModel(objects, undefined, found.byImage);
  const ctx = new RuleContext(model, new Evidence(), deregistration, drainS);
  for (const rules of RULE_SETS) rules(ctx);
  return { findings: ctx.findings.sort(order), ignored: model.ignored, ...(found?.notes.length ? { dockerfiles: found.notes } : {}) };
}
