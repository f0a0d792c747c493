import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, isLabError } from '../../../common/errors.js';
import { parseManifest } from '../../targets/local/manifest.js';
import { choosePodNetwork, type PodNetworkChoice, type PodNetworkMode } from '../../targets/local/pod-network.js';
import { checkEntryPoint } from './entry-point.js';
import { localize, toYaml } from './localize.js';
import { pickDeployment, readUserManifests, servicesFor } from './user-manifests.js';

// Everything the local mode decides before a process starts: which Deployment, which Service
// carries the load, the manifest the local target will run (written to the scratch dir), and
// whether its command can start here. Any problem is an error here, with nothing started.

export interface LocalPlan {
  deployment: string;
  service: string;
  manifestFile: string;
  /** resolved from the --pod-network choice before anything starts */
  podNetwork: PodNetworkMode;
  files: string[];
  notes: string[];
}

export function planLocal(o: { manifests: string; appDir: string; deployment?: string; env: Record<string, string>; podNetwork: PodNetworkChoice }, scratch: string): LocalPlan {
  const { mode: podNetwork, note } = choosePodNetwork(o.podNetwork);
  const user = readUserManifests(o.manifests);
  const dep = pickDeployment(user, o.deployment);
  const name = dep.metadata!.name!;
  const svcs = servicesFor(user, dep);
  if (svcs.length === 0) throw new LabError('LAB_BAD_MANIFEST', `no Service selects the pods of Deployment/${name} (labels ${JSON.stringify(dep.spec?.template?.metadata?.labels ?? {})}): the load needs a Service to go through`);
  const { objects, notes } = localize(user, name, o.env, podNetwork);
  const yaml = toYaml(objects);
  // the local target's own parser: every field it does not implement is named now, before any start
  const parsed = parseManifest(yaml, user.files.join(', '));
  const spec = parsed.deployments.find((d) => d.name === name)!;
  const c = spec.template.container;
  checkEntryPoint([...(c.command ?? []), ...(c.args ?? [])], o.appDir, `Deployment/${name}`);
  if (c.ports.length === 0) throw new LabError('LAB_BAD_MANIFEST', `Deployment/${name}: spec.template.spec.containers[0].ports is empty (the lab checks the pod's port is free and probes it)`);
  mkdirSync(scratch, { recursive: true });
  const manifestFile = join(scratch, 'manifest.yaml');
  writeFileSync(manifestFile, yaml);
  if (note) notes.push(note);
  if (svcs.length > 1) notes.push(`${svcs.length} Services select Deployment/${name}; the load goes through Service/${svcs[0]!.metadata!.name}`);
  return { deployment: name, service: svcs[0]!.metadata!.name!, manifestFile, podNetwork, files: user.files, notes };
}

/**
 * In loopback mode, a start that timed out or crashed usually means the replicas collided on one
 * port: most apps bind 0.0.0.0:PORT, and on a shared network only the first replica gets it. Say
 * what the app must do (or what would give each pod its own namespace).
 */
export function explainStartFailure(err: unknown, podsDir: string, network: PodNetworkMode): unknown {
  if (network !== 'loopback' || !isLabError(err) || !['LAB_TIMEOUT', 'LAB_PORT_TAKEN'].includes(err.code)) return err;
  let collided = err.code === 'LAB_PORT_TAKEN'; // the pod's own address:port is taken: something bound the wildcard
  try {
    for (const f of readdirSync(podsDir).filter((x) => x.endsWith('.log'))) {
      if (/EADDRINUSE/.test(readFileSync(join(podsDir, f), 'utf8'))) { collided = true; break; }
    }
  } catch { /* no pod logs: nothing to add */ }
  if (!collided) return err;
  return new LabError(err.code, `${err.message.replace(/^[A-Z_]+: [^:]+: /, '')}\nA pod log shows EADDRINUSE: the replicas share this machine, so the app must listen on the address the lab passes in, `
    + 'the HOST (or POD_IP) environment variable, e.g. server.listen(PORT, process.env.HOST), not on 0.0.0.0. Each pod gets its own 127.x.y.z. '
    + 'Or run check with --pod-network netns (as root, with iproute2): each pod then has its own network namespace, as on a cluster.', { cause: err });
}
