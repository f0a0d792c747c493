import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../../../common/errors.js';
import { detectIsolation } from '../../targets/local/isolation.js';
import { parseManifest } from '../../targets/local/manifest.js';
import { assertPodUserCanRun, resolvePodUser } from '../../targets/local/pod-user.js';
import { choosePodNetwork, type PodNetworkChoice, type PodNetworkMode } from '../../targets/local/pod-network.js';
import { checkEntryPoint, describeEntryPoint } from './entry-point.js';
import { localize, toYaml } from './localize.js';
import { pickDeployment, readUserManifests, servicesFor, type K8sObject, type UserManifests } from './user-manifests.js';

// Everything the local mode decides before a process starts: which Deployment, which Service
// carries the load, the manifest the local target will run (written to the scratch dir), and
// whether its command can start here. Any problem is an error here, with nothing started and no
// scratch dir left behind.

export interface LocalPlan {
  deployment: string;
  service: string;
  manifestFile: string;
  /** resolved from the --pod-network choice before anything starts */
  podNetwork: PodNetworkMode;
  /** the manifest's own workingDir of the container (the local run maps it to --app-dir) */
  workingDir: string | undefined;
  files: string[];
  notes: string[];
}

export async function planLocal(o: { manifests: string; appDir: string; deployment?: string; env: Record<string, string>; podNetwork: PodNetworkChoice; allowRootPods?: boolean }, scratch: string): Promise<LocalPlan> {
  // the pod network is probed (child processes) while the user's manifests are read
  const network = choosePodNetwork(o.podNetwork);
  let user: UserManifests;
  let dep: K8sObject;
  let svcs: K8sObject[];
  try {
    user = readUserManifests(o.manifests);
    dep = pickDeployment(user, o.deployment);
    svcs = servicesFor(user, dep);
    if (svcs.length === 0) throw new LabError('LAB_BAD_MANIFEST', `no Service selects the pods of Deployment/${dep.metadata!.name!} (labels ${JSON.stringify(dep.spec?.template?.metadata?.labels ?? {})}): the load needs a Service to go through`);
  } finally {
    await network.catch(() => undefined); // a bad manifest is said once the probe is over, never with it still running
  }
  const { mode: podNetwork, note } = await network;
  const name = dep.metadata!.name!;
  const { objects, notes } = localize(user, name, o.env, podNetwork);
  const yaml = toYaml(objects);
  // the local target's own parser: every field it does not implement is named now, before any start
  const parsed = parseManifest(yaml, user.files.join(', '));
  const spec = parsed.deployments.find((d) => d.name === name)!;
  const c = spec.template.container;
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const entry = checkEntryPoint(argv, o.appDir, `Deployment/${name}`);
  if (c.ports.length === 0) throw new LabError('LAB_BAD_MANIFEST', `Deployment/${name}: spec.template.spec.containers[0].ports is empty (the lab checks the pod's port is free and probes it)`);
  // who the pods run as: a runAsNonRoot/uid 0 clash fails here, before the scratch dir exists
  const users = parsed.deployments.map((d) => [`Deployment/${d.name}`, resolvePodUser(d.template, `Deployment/${d.name}`, { allowRootPods: o.allowRootPods })] as const);
  // then the kernel, asked as that uid, whether it can run node, read the app dir and reach the pods'
  // folder: one probe, which the local cluster finds already passed; a refusal removes what mkdir made
  const podsDir = join(scratch, 'pods');
  const made = mkdirSync(podsDir, { recursive: true });
  const access = Promise.all(users.map(([where, user]) => assertPodUserCanRun(user, { appDir: o.appDir, podsDir }, where)));
  // the local cluster's isolation probes (kept for the process) run meanwhile, beside the access probe
  detectIsolation();
  try { await access; } catch (e) {
    if (made) rmSync(made, { recursive: true, force: true });
    throw e;
  }
  const manifestFile = join(scratch, 'manifest.yaml');
  writeFileSync(manifestFile, yaml);
  notes.push(describeEntryPoint(name, argv, entry));
  if (note) notes.push(note);
  if (svcs.length > 1) notes.push(`${svcs.length} Services select Deployment/${name}; the load goes through Service/${svcs[0]!.metadata!.name}`);
  const workingDir: string | undefined = dep.spec?.template?.spec?.containers?.[0]?.workingDir;
  return { deployment: name, service: svcs[0]!.metadata!.name!, manifestFile, podNetwork, workingDir, files: user.files, notes };
}
