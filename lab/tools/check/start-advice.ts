import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, isLabError, labErrorDetail } from '../../../common/errors.js';
import type { PodNetworkMode } from '../../targets/local/pod-network.js';
import { PodStartError, type StartFailureFacts } from '../../targets/local/start-failure.js';

// A start failure of the user's app, with the advice its own output makes clear: a variable it
// names that the manifest does not set (→ --env), a module it cannot find (→ --app-dir and
// workingDir), and in loopback mode an address already in use (→ bind the pod's own address).

/** Words in an error line that say a variable is missing. */
const ENV_CUE = /\b(env|environment|variable|not set|required|missing|undefined|must be (set|defined|provided))\b/i;
/** Upper-case words that are not variable names: log levels, protocols, errno codes. */
const NOT_A_VARIABLE = /^(ERROR|ERR(_[A-Z0-9_]+)?|WARN(ING)?|INFO|DEBUG|FATAL|TRACE|HTTP|HTTPS|JSON|URL|URI|API|ENV|TCP|UDP|DNS|UTF|GET|POST|PUT|DELETE|NULL|TRUE|FALSE|E[A-Z]{4,})$/;
/** Variables every pod has here whatever the manifest says. */
const ALWAYS_SET = ['PATH', 'HOSTNAME', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'];

/** Variables the app's output names as missing and the container is not given. */
export function missingEnv(f: Pick<StartFailureFacts, 'excerpt' | 'envNames'>): string[] {
  const out = new Set<string>();
  for (const line of f.excerpt) {
    if (!ENV_CUE.test(line)) continue;
    for (const m of line.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*\b/g)) {
      const name = m[0];
      if (name.length < 3 || NOT_A_VARIABLE.test(name) || f.envNames.includes(name) || ALWAYS_SET.includes(name)) continue;
      out.add(name);
    }
  }
  return [...out];
}

function podLogsMention(podsDir: string, re: RegExp): boolean {
  try {
    return readdirSync(podsDir).filter((x) => x.endsWith('.log')).some((f) => re.test(readFileSync(join(podsDir, f), 'utf8')));
  } catch { return false; } // no pod logs: nothing to add
}

const LOOPBACK_COLLISION = 'the replicas share this machine, so the app must listen on the address the lab passes in, '
  + 'the HOST (or POD_IP) environment variable, e.g. server.listen(PORT, process.env.HOST), not on 0.0.0.0. Each pod gets its own 127.x.y.z. '
  + 'Or run check with --pod-network netns (as root, with iproute2): each pod then has its own network namespace, as on a cluster.';

export interface StartContext { podsDir: string; network: PodNetworkMode; appDir: string; workingDir: string | undefined }

/**
 * A start that failed, restated with what the user can do. In loopback mode an EADDRINUSE usually
 * means the replicas collided on one port (most apps bind 0.0.0.0:PORT, and on a shared network
 * only the first replica gets it): LAB_PORT_TAKEN with what the app must do.
 */
export function explainStartFailure(err: unknown, ctx: StartContext): unknown {
  if (!isLabError(err)) return err;
  const facts = err instanceof PodStartError ? err.facts : undefined;
  if (ctx.network === 'loopback' && ['LAB_TIMEOUT', 'LAB_PORT_TAKEN', 'LAB_POD_CRASHLOOP', 'LAB_POD_NEVER_READY'].includes(err.code)) {
    // the pod's own address:port is taken (something bound the wildcard), or a pod said EADDRINUSE
    const collided = err.code === 'LAB_PORT_TAKEN' || facts?.excerpt.some((l) => /EADDRINUSE/.test(l)) || podLogsMention(ctx.podsDir, /EADDRINUSE/);
    if (collided) return new LabError('LAB_PORT_TAKEN', `${labErrorDetail(err)}\nA pod log shows EADDRINUSE: ${LOOPBACK_COLLISION}`, { cause: err });
  }
  if (!facts) return err;
  const hints: string[] = [];
  const env = missingEnv(facts);
  if (env.length) hints.push(`the app's output names ${env.join(', ')}, which Deployment/${facts.deployment} does not set: give ${env.map((n) => `--env ${n}=…`).join(' ')} (or add it to the manifest's env)`);
  const module = facts.excerpt.map((l) => /Cannot find (?:module|package) '([^']+)'/.exec(l)?.[1]).find(Boolean);
  if (module) {
    hints.push(`Cannot find module '${module}': the app runs in --app-dir ${ctx.appDir}${ctx.workingDir && ctx.workingDir !== '/app' ? `, which stands for the manifest's workingDir ${ctx.workingDir}` : " (the image's working directory)"}; `
      + `paths under that workingDir in the command are read there. Is it the directory the image's files come from, with its dependencies installed (npm ci)?`);
  }
  if (hints.length === 0) return err;
  return new PodStartError(err.code, `${labErrorDetail(err)}\n${hints.map((h) => `hint: ${h}`).join('\n')}`, facts, { cause: err });
}
