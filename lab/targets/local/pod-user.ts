import { spawn } from 'node:child_process';
import { chownSync, chmodSync, constants, lchownSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LabError } from '../../../common/errors.js';
import type { PodTemplateSpec } from './manifest.js';

// Who a pod's processes run as. On a node the container runs as its securityContext's runAsUser
// (or the image's USER); locally the lab is often root (network namespaces need it), and handing
// that root to a user's app under test is exactly what a cluster would not do. So, when the lab is
// root, every pod process (command, exec probes, exec preStop) drops to one identity after its
// namespaces are made, with setpriv:
//   uid: container runAsUser > pod runAsUser > (--allow-root-pods: 0) > SUDO_UID > nobody (65534)
//   gid: container runAsGroup > pod runAsGroup > SUDO_GID (for the sudo user) > the uid's primary
//        group in /etc/passwd > nogroup (65534)
//   supplementary groups: fsGroup and supplementalGroups only (never the sudo user's own groups,
//        which may include docker or adm)
// runAsNonRoot: true with uid 0 is refused before anything starts, as the kubelet refuses it.
// When the lab is not root there is nothing to switch: pods run as the invoking user, said in a note.

export const NOBODY = 65534;

export type PodUserSource = 'manifest' | 'sudo-user' | 'nobody' | 'root-allowed' | 'invoking-user';

export interface PodUser {
  uid: number;
  gid: number;
  /** supplementary groups (fsGroup, supplementalGroups) */
  groups: number[];
  /** pod securityContext.fsGroup: the group owning its volumes */
  fsGroup?: number;
  source: PodUserSource;
  /** argv placed after the namespace prefix and before the command: empty when the lab cannot (or need not) switch */
  prefix: string[];
  /** one line for the run's notes */
  note: string;
}

export interface PodUserOptions {
  /** pods without runAsUser run as root (the lab's behaviour before pods had users) */
  allowRootPods?: boolean;
  /** where SUDO_UID/SUDO_GID are read; default process.env */
  env?: NodeJS.ProcessEnv;
  /** the lab's own uid; default process.getuid() */
  labUid?: number;
}

function primaryGroup(uid: number): number | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 4 && Number(f[2]) === uid && f[2] !== '') return Number(f[3]);
    }
  } catch { /* no passwd file: the fallback below */ }
  return undefined;
}

function sudoIds(env: NodeJS.ProcessEnv): { uid: number; gid: number | undefined } | undefined {
  const uid = env.SUDO_UID !== undefined && /^\d+$/.test(env.SUDO_UID) ? Number(env.SUDO_UID) : undefined;
  if (uid === undefined) return undefined;
  return { uid, gid: env.SUDO_GID !== undefined && /^\d+$/.test(env.SUDO_GID) ? Number(env.SUDO_GID) : undefined };
}

/**
 * The identity the pods of `template` run as, or LAB_RUN_AS_ROOT_REFUSED when runAsNonRoot meets
 * uid 0. `where` names the Deployment in messages.
 */
export function resolvePodUser(template: PodTemplateSpec, where: string, opts: PodUserOptions = {}): PodUser {
  const pod = template.securityContext;
  const own = template.container.securityContext;
  const labUid = opts.labUid ?? process.getuid?.() ?? 0;
  const wantedUid = own.runAsUser ?? pod.runAsUser;
  const nonRoot = own.runAsNonRoot ?? pod.runAsNonRoot;
  const groups = [...new Set([...(pod.fsGroup !== undefined ? [pod.fsGroup] : []), ...pod.supplementalGroups])];
  const refuse = (why: string): never => {
    throw new LabError('LAB_RUN_AS_ROOT_REFUSED', `${where}: ${why} (the kubelet refuses this container with CreateContainerConfigError); nothing was started`);
  };
  if (nonRoot === true && wantedUid === 0) refuse('runAsNonRoot is true but runAsUser is 0');

  if (labUid !== 0) {
    const gid = process.getgid?.() ?? labUid;
    const differs = wantedUid !== undefined && wantedUid !== labUid;
    return {
      uid: labUid, gid, groups: [], source: 'invoking-user', prefix: [],
      note: `${where}: pods run as the invoking user (uid ${labUid}): the lab is not root and cannot switch users`
        + (differs ? `; the manifest's runAsUser ${wantedUid} is not applied` : ''),
    };
  }

  let uid: number;
  let gid: number | undefined = own.runAsGroup ?? pod.runAsGroup;
  let source: PodUserSource;
  const sudo = sudoIds(opts.env ?? process.env);
  if (wantedUid !== undefined) { uid = wantedUid; source = 'manifest'; }
  else if (opts.allowRootPods) { uid = 0; source = 'root-allowed'; }
  else if (sudo) { uid = sudo.uid; gid ??= sudo.gid; source = 'sudo-user'; }
  else { uid = NOBODY; source = 'nobody'; }
  if (nonRoot === true && uid === 0) refuse('runAsNonRoot is true and, with --allow-root-pods and no runAsUser, the pod would run as root');
  gid ??= primaryGroup(uid) ?? (uid === 0 ? 0 : NOBODY);
  const why = {
    'manifest': 'securityContext.runAsUser',
    'root-allowed': '--allow-root-pods and no runAsUser',
    'sudo-user': 'no runAsUser: the user who ran the lab through sudo (SUDO_UID)',
    'nobody': 'no runAsUser and no SUDO_UID: nobody',
    'invoking-user': '',
  }[source];
  return {
    uid, gid, groups, ...(pod.fsGroup !== undefined ? { fsGroup: pod.fsGroup } : {}), source,
    prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups', '--'],
    note: `${where}: pods run as uid ${uid} gid ${gid}${groups.length ? ` groups ${groups.join(',')}` : ''} (${why})`,
  };
}

/** The access probe: node itself (it is there by definition; a PATH without test(1) is not an error) asks the kernel for each (path, mode) pair of its arguments and prints the index of each refused one. */
const PROBE = 'const a=process.argv.slice(1);for(let i=0;i<a.length;i+=2){try{require("node:fs").accessSync(a[i],Number(a[i+1]))}catch{console.log(i/2)}}';

/** Each (identity, mode, path) asked in this process, while it is asked or once it passed: a second check of the same paths (check's plan, then the local cluster) spawns nothing. */
const asked = new Map<string, Promise<boolean>>();
const identity = (user: PodUser) => `${user.uid}:${user.gid}:${user.groups.join(',')}`;

/**
 * Whether `user` has each `[path, mode]` (fs.constants R_OK|X_OK…), asked of the kernel as that user:
 * one process for all of them, which also runs this node binary as that user. A probe that did not
 * finish cleanly (node not executable for the uid, killed by the timeout) passes nothing.
 */
function userMay(user: PodUser, checks: ReadonlyArray<readonly [string, number]>): Promise<boolean[]> {
  if (user.prefix.length === 0) return Promise.resolve(checks.map(() => true));
  return new Promise((done, fail) => {
    // only PATH (to find setpriv): the lab's own NODE_OPTIONS must not load anything into the probe
    const child = spawn(user.prefix[0]!, [...user.prefix.slice(1), process.execPath, '-e', PROBE, ...checks.flatMap(([path, mode]) => [path, String(mode)])],
      { stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000, env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.once('error', (e) => fail(new LabError('LAB_MISSING_TOOL', `setpriv (util-linux) is needed to run pods as their securityContext's user: ${e.message}`)));
    child.once('close', (code) => {
      const refused = new Set(out.split('\n').filter(Boolean).map(Number));
      done(checks.map((_, i) => code === 0 && !refused.has(i)));
    });
  });
}

/** `userMay` for the pairs not yet passed in this process; concurrent asks for the same pair share one probe. */
function userMayCached(user: PodUser, checks: ReadonlyArray<readonly [string, number]>): Promise<boolean[]> {
  const key = ([path, mode]: readonly [string, number]) => `${identity(user)} ${mode} ${resolve(path)}`;
  const fresh = checks.filter((c) => !asked.has(key(c)));
  const probe = fresh.length > 0 ? userMay(user, fresh) : undefined;
  fresh.forEach((c, i) => {
    const one = probe!.then((ok) => ok[i]!);
    asked.set(key(c), one);
    // only passes are kept: a refusal (or a missing setpriv) is asked again next time
    one.then((ok) => { if (!ok) asked.delete(key(c)); }, () => asked.delete(key(c)));
  });
  return Promise.all(checks.map((c) => asked.get(key(c))!));
}

/**
 * Fails with LAB_UNREADABLE_FILE unless `user` can read the app directory, run this node binary and
 * reach the pods' scratch folder. Never changes their ownership: a user's app dir stays theirs.
 */
export async function assertPodUserCanRun(user: PodUser, paths: { appDir: string; podsDir?: string }, where: string): Promise<void> {
  const checks: Array<[string, number, string]> = [
    [process.execPath, constants.X_OK, 'run node'],
    [paths.appDir, constants.R_OK | constants.X_OK, 'read the app directory'],
    ...(paths.podsDir !== undefined ? [[paths.podsDir, constants.X_OK, 'reach the pod scratch folder'] as [string, number, string]] : []),
  ];
  const ok = await userMayCached(user, checks.map(([path, mode]) => [path, mode] as const));
  const i = ok.indexOf(false);
  if (i < 0) return;
  const [path, , what] = checks[i]!;
  throw new LabError('LAB_UNREADABLE_FILE', `${where}: uid ${user.uid} (gid ${user.gid}) cannot ${what} ${path}; make it readable for that uid, `
    + 'set securityContext.runAsUser to a uid that can, or (check) pass --allow-root-pods; nothing was started');
}

/** Hands a pod's own scratch directory (created by the lab) to its user: the container's writable layer. */
export function givePodDir(user: PodUser, dir: string): void {
  if (user.prefix.length > 0) chownSync(dir, user.uid, user.gid);
}

/**
 * A volume as the kubelet leaves it: a writable emptyDir owned by the user (group fsGroup, setgid,
 * group-writable, when there is one); a configMap/secret tree group-owned by fsGroup when there is
 * one, and readable by anyone either way (its files are 0644), never writable.
 */
export function giveVolume(user: PodUser, dir: string, writable: boolean): void {
  if (user.prefix.length === 0) return;
  if (writable) {
    chownSync(dir, user.uid, user.fsGroup ?? user.gid);
    chmodSync(dir, user.fsGroup !== undefined ? 0o2775 : 0o755);
    return;
  }
  if (user.fsGroup === undefined) return;
  const group = user.fsGroup;
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    if (st.gid !== group) lchownSync(p, st.uid, group); // lchown: the ..data and per-key symlinks themselves
  };
  walk(dir);
}
