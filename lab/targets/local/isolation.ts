import { spawnSync } from 'node:child_process';

// How pod processes are isolated. The point is the kernel's PID-1 rule: a signal sent from outside
// a PID namespace reaches its init only if init installed a handler (SIGKILL always does). Only a
// real PID namespace gives the real rule, so it is probed once and a fallback is said out loud.

export const ISOLATION_MODES = ['pid-namespace', 'user+pid-namespace', 'fallback'] as const;
export type IsolationMode = (typeof ISOLATION_MODES)[number];

export interface Isolation {
  readonly mode: IsolationMode;
  /** argv prefix placed before the container's command */
  readonly prefix: readonly string[];
  /** `setpriv --pdeathsig KILL`, or empty where setpriv lacks it */
  readonly deathSig: readonly string[];
  /** loud caveats to print and record in results */
  readonly notes: readonly string[];
}

const works = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 5000 }).status === 0;

let detected: Isolation | undefined;

/** Probes unshare (as root, then with a user namespace) once per process; `forceFallback` is for tests of the fallback path. */
export function detectIsolation(forceFallback = false): Isolation {
  if (!forceFallback && detected) return detected;
  const notes: string[] = [];
  // PR_SET_PDEATHSIG via setpriv: if the lab itself is SIGKILLed, unshare dies and --kill-child
  // takes the whole pod namespace with it, so not even a hard kill of the lab leaves orphans.
  const deathSig = works(['setpriv', '--pdeathsig', 'KILL', 'true']) ? ['setpriv', '--pdeathsig', 'KILL'] : [];
  if (deathSig.length === 0) notes.push('setpriv --pdeathsig unavailable: pods survive a SIGKILL of the lab itself (normal exits and signals still clean up)');
  const ns = ['unshare', '--pid', '--fork', '--kill-child'];
  const userNs = ['unshare', '--user', '--map-root-user', '--pid', '--fork', '--kill-child'];
  let result: Isolation;
  if (!forceFallback && works([...ns, 'true'])) result = { mode: 'pid-namespace', prefix: [...deathSig, ...ns], deathSig, notes };
  else if (!forceFallback && works([...userNs, 'true'])) result = { mode: 'user+pid-namespace', prefix: [...deathSig, ...userNs], deathSig, notes };
  else {
    const why = forceFallback ? 'fallback forced' : 'unshare --pid not permitted';
    notes.push(`NO PID NAMESPACE (${why}): pods run as plain processes and the PID-1 rule is emulated by reading `
      + 'SigCgt in /proc/<pid>/status; a SIGTERM the command does not catch is not delivered. A command that catches '
      + 'SIGTERM only to re-raise it (node without a handler) dies here but would survive as a real PID 1.');
    result = { mode: 'fallback', prefix: deathSig, deathSig, notes };
  }
  if (!forceFallback) detected = result;
  return result;
}

/**
 * A pod's user switch (pod-user.ts's setpriv prefix) followed by the death signal again: the
 * credential change clears PR_SET_PDEATHSIG, the one unshare --kill-child (or the lab's spawn)
 * armed, and without it PID 1 and exec probes outlived a SIGKILL of the lab.
 */
export function userSwitch(isolation: Isolation, userPrefix: readonly string[]): string[] {
  return userPrefix.length > 0 ? [...userPrefix, ...isolation.deathSig] : [];
}
