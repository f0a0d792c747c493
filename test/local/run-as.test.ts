import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LocalCluster } from '../../lab/targets/local/cluster.js';
import { REPO_ROOT } from '../../lab/engine/meta.js';
import { parseManifest } from '../../lab/targets/local/manifest.js';
import { assertPodUserCanRun, resolvePodUser } from '../../lab/targets/local/pod-user.js';
import { deployment, toYaml, waitForLog, workspace } from './helpers.js';

// Who a local pod runs as (lab/targets/local/pod-user.ts), read where the kernel keeps it:
// /proc/<pid>/status of the container's PID 1. Needs root (the lab switches users only as root).

const asRoot = process.getuid?.() === 0;
const code = (c: string, re?: RegExp) => (e: unknown) => (e as { code?: string }).code === c && (!re || re.test((e as Error).message));

interface Ids { uid: number[]; gid: number[]; groups: number[]; nspid: number[] }
function ids(pid: number): Ids {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const nums = (key: string) => (new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(s)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  return { uid: nums('Uid'), gid: nums('Gid'), groups: nums('Groups'), nspid: nums('NSpid') };
}

type Obj = Record<string, any>;
/** The fixture app with `edit` applied to its Deployment's pod spec. */
function app(edit: (pod: Obj, container: Obj) => void, extra: Obj[] = []): Obj[] {
  const objs = deployment({ replicas: 1, maxSurge: 1, maxUnavailable: 0, grace: 3 }) as Obj[];
  const pod = objs[0]!.spec.template.spec;
  edit(pod, pod.containers[0]);
  return [...objs, ...extra];
}

async function withPod<T>(objects: Obj[], fn: (c: LocalCluster, pid1: number, podDir: string) => Promise<T>, opts: { allowRootPods?: boolean } = {}): Promise<T> {
  const ws = workspace(objects);
  const cluster = await LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, propagationDelayMs: 0, startTimeoutMs: 60_000, ...opts });
  try {
    const [pod] = cluster.readyPods('service');
    assert.ok(pod?.pid1, 'one ready pod with a PID 1');
    await waitForLog(pod.logFile, /"event":"listening"/);
    return await fn(cluster, pod.pid1, join(ws.runDir, 'pods', pod.name));
  } finally {
    await cluster.close();
    ws.remove();
  }
}

/** Runs `fn` with SUDO_UID/SUDO_GID set (or removed) in the lab's environment. */
async function withSudo<T>(sudo: { uid: string; gid: string } | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = { uid: process.env.SUDO_UID, gid: process.env.SUDO_GID };
  const set = (k: 'SUDO_UID' | 'SUDO_GID', v: string | undefined) => { if (v === undefined) delete process.env[k]; else process.env[k] = v; };
  set('SUDO_UID', sudo?.uid); set('SUDO_GID', sudo?.gid);
  try { return await fn(); } finally { set('SUDO_UID', saved.uid); set('SUDO_GID', saved.gid); }
}

describe('local pods run as the manifest\'s user', { skip: asRoot ? false : 'needs root: the lab switches users only as root' }, () => {
  test('runAsUser/runAsGroup (container over pod), fsGroup: PID 1, exec probe and exec preStop all run as them', { timeout: 120_000 }, async () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'a.txt': 'x' } };
    const repoOwner = statSync(REPO_ROOT).uid;
    const objects = app((pod, c) => {
      pod.securityContext = { runAsUser: 2000, runAsGroup: 2000, fsGroup: 3000 };
      c.securityContext = { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10002 };
      // Ready only if the probe itself runs as the container's user.
      c.readinessProbe = { exec: { command: ['/bin/sh', '-c', 'test "$(id -u):$(id -g)" = 10001:10002'] }, periodSeconds: 1 };
      // exec commands are not path-rewritten; env values are (docs/local-vs-kind.md): the file goes by env.
      c.env.push({ name: 'PRESTOP_OUT', value: '/scratch/prestop-uid' });
      c.lifecycle = { preStop: { exec: { command: ['/bin/sh', '-c', 'id -u > "$PRESTOP_OUT"'] } } };
      c.volumeMounts = [{ name: 'scratch', mountPath: '/scratch' }, { name: 'cfg', mountPath: '/etc/cfg', readOnly: true }];
      pod.volumes = [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }];
    }, [configMap]);
    await withSudo({ uid: '4242', gid: '4343' }, () => withPod(objects, async (cluster, pid1, podDir) => {
      const got = ids(pid1);
      assert.deepEqual(got.uid, [10001, 10001, 10001, 10001], 'real, effective, saved and fs uid');
      assert.deepEqual(got.gid, [10002, 10002, 10002, 10002]);
      assert.deepEqual(got.groups, [3000], 'fsGroup is the only supplementary group');
      assert.equal(got.nspid.at(-1), 1, 'the command itself is PID 1 of its namespace, not setpriv');
      assert.match(readFileSync(`/proc/${pid1}/cmdline`, 'utf8'), /server\.mjs/);
      const scratch = statSync(join(podDir, 'volumes', 'scratch'));
      assert.deepEqual([scratch.uid, scratch.gid, scratch.mode & 0o7777], [10001, 3000, 0o2775], 'writable emptyDir: the user, fsGroup, setgid');
      const cfg = statSync(join(podDir, 'volumes', 'cfg', 'a.txt'));
      assert.deepEqual([cfg.uid, cfg.gid, cfg.mode & 0o777], [0, 3000, 0o644], 'configMap: readable, group fsGroup, not the user\'s');
      assert.equal(statSync(podDir).uid, 10001, 'the pod\'s own scratch dir is the user\'s');
      assert.equal(statSync(REPO_ROOT).uid, repoOwner, 'the app dir keeps its owner');
      assert.ok(cluster.notes.some((n) => /Deployment\/service: pods run as uid 10001 gid 10002 groups 3000 \(securityContext\.runAsUser\)/.test(n)), cluster.notes.join('\n'));
      await cluster.rolloutRestart(['service']);
      assert.equal(readFileSync(join(podDir, 'volumes', 'scratch', 'prestop-uid'), 'utf8').trim(), '10001', 'the exec preStop ran as the user');
    }));
  });

  test('no runAsUser: the sudo user (SUDO_UID/SUDO_GID), else nobody', { timeout: 120_000 }, async () => {
    await withSudo({ uid: '4242', gid: '4343' }, () => withPod(app(() => undefined), async (cluster, pid1) => {
      const got = ids(pid1);
      assert.deepEqual([got.uid[0], got.uid[1], got.gid[0], got.gid[1], got.groups], [4242, 4242, 4343, 4343, []], 'the sudo user, none of their groups');
      assert.ok(cluster.notes.some((n) => /uid 4242 gid 4343 \(no runAsUser: the user who ran the lab through sudo/.test(n)), cluster.notes.join('\n'));
    }));
    await withSudo(undefined, () => withPod(app(() => undefined), async (cluster, pid1) => {
      const got = ids(pid1);
      assert.deepEqual([got.uid[0], got.uid[1], got.gid[0]], [65534, 65534, 65534], 'nobody:nogroup');
      assert.ok(cluster.notes.some((n) => /uid 65534 .*no runAsUser and no SUDO_UID: nobody/.test(n)), cluster.notes.join('\n'));
    }));
  });

  test('root only when asked: runAsUser 0 in the manifest, or allowRootPods for a pod without runAsUser', { timeout: 120_000 }, async () => {
    await withSudo({ uid: '4242', gid: '4343' }, async () => {
      await withPod(app((pod) => { pod.containers[0].securityContext = { runAsUser: 0 }; }), async (_c, pid1) => {
        assert.equal(ids(pid1).uid[0], 0);
      });
      await withPod(app((pod) => { pod.containers[0].securityContext = {}; }), async (_c, pid1) => {
        assert.equal(ids(pid1).uid[0], 0);
      }, { allowRootPods: true });
    });
  });

  test('runAsNonRoot with uid 0 is refused with LAB_RUN_AS_ROOT_REFUSED and nothing starts', { timeout: 60_000 }, async () => {
    for (const [sc, opts] of [[{ runAsNonRoot: true, runAsUser: 0 }, {}], [{ runAsNonRoot: true }, { allowRootPods: true }]] as const) {
      const ws = workspace(app((pod) => { pod.securityContext = { runAsUser: 0 }; pod.containers[0].securityContext = sc; }));
      try {
        const events: unknown[] = [];
        await assert.rejects(
          LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, propagationDelayMs: 0, onEvent: (e) => events.push(e), ...opts }),
          code('LAB_RUN_AS_ROOT_REFUSED', /Deployment\/service: runAsNonRoot is true.*CreateContainerConfigError.*nothing was started/),
        );
        assert.deepEqual(events, [], 'no pod was even created');
        assert.deepEqual(readdirSync(join(ws.runDir, 'pods')), [], 'no pod scratch dir');
        const inRun = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
          try { return readlinkSync(`/proc/${p}/cwd`).startsWith(ws.dir); } catch { return false; }
        });
        assert.deepEqual(inRun, [], 'no process runs in the run dir');
      } finally { ws.remove(); }
    }
  });

  test('an app dir the pod user cannot read fails before anything starts, naming the path and the uid, and is not chowned', { timeout: 60_000 }, async () => {
    const appDir = mkdtempSync(join(tmpdir(), 'lab-private-app-')); // 0700, root's
    const ws = workspace(app((pod) => { pod.securityContext = { runAsUser: 10001 }; }));
    try {
      await assert.rejects(
        LocalCluster.start({ manifestFile: ws.manifestFile, runDir: ws.runDir, appDir, propagationDelayMs: 0 }),
        code('LAB_UNREADABLE_FILE', new RegExp(`uid 10001 .*cannot read the app directory ${appDir}`)),
      );
      const st = statSync(appDir);
      assert.deepEqual([st.uid, st.mode & 0o777], [0, 0o700], 'ownership and mode unchanged');
      assert.ok(!existsSync(join(ws.runDir, 'events.jsonl')), 'nothing ran');
      chmodSync(appDir, 0o755);
    } finally {
      rmSync(appDir, { recursive: true, force: true });
      ws.remove();
    }
  });
});

describe('the access probe (the kernel asked as the pod user before anything starts)', { skip: asRoot ? false : 'needs root: the probe switches users only as root' }, () => {
  test('one process per pod user for all its paths, none for paths already passed; a refusal names its path and is asked again', { timeout: 60_000 }, async () => {
    const dirs = [0, 1, 2, 3].map(() => mkdtempSync(join(tmpdir(), 'lab-probe-')));
    const [bin, appDir, podsDir, closedPods] = dirs as [string, string, string, string];
    const realSetpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).stdout.trim();
    const calls = join(bin, 'calls');
    // a setpriv in front of the real one: each probe process leaves its arguments
    writeFileSync(join(bin, 'setpriv'), `#!/bin/sh\necho "$*" >> ${calls}\nexec ${realSetpriv} "$@"\n`, { mode: 0o755 });
    for (const d of [bin, appDir, podsDir]) chmodSync(d, 0o755); // closedPods stays mkdtemp's 0700, root's
    // a uid no other test here uses: passes are kept per process
    const user = resolvePodUser(parseManifest(toYaml(app((pod) => { pod.securityContext = { runAsUser: 10077 }; })), 't.yaml').deployments[0]!.template, 'D', { labUid: 0, env: {} });
    const lines = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path ?? ''}`;
    try {
      await assertPodUserCanRun(user, { appDir, podsDir }, 'Deployment/a');
      assert.equal(lines().length, 1, 'node, the app dir and the pods folder in one probe');
      assert.ok([process.execPath, appDir, podsDir].every((p) => lines()[0]!.includes(p)), lines()[0]);
      await assertPodUserCanRun(user, { appDir, podsDir }, 'Deployment/a');
      assert.equal(lines().length, 1, 'paths already passed are not asked again');
      await assert.rejects(assertPodUserCanRun(user, { appDir, podsDir: closedPods }, 'Deployment/a'),
        code('LAB_UNREADABLE_FILE', new RegExp(`Deployment/a: uid 10077 .*cannot reach the pod scratch folder ${closedPods};.*nothing was started`)));
      assert.equal(lines().length, 2);
      assert.ok(lines()[1]!.includes(closedPods) && !lines()[1]!.includes(appDir), `only the new path is asked: ${lines()[1]}`);
      chmodSync(closedPods, 0o755);
      await assertPodUserCanRun(user, { appDir, podsDir: closedPods }, 'Deployment/a');
      assert.equal(lines().length, 3, 'a refusal is not kept');
    } finally {
      process.env.PATH = path;
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('securityContext in the manifest model', () => {
  const parse = (edit: (pod: Obj, c: Obj) => void) => parseManifest(toYaml(app(edit)), 'test.yaml').deployments[0]!.template;

  test('bad values and unknown fields are named; the sandbox fields are accepted and ignored', () => {
    assert.throws(() => parse((_p, c) => { c.securityContext = { runAsUser: -1 }; }), code('LAB_BAD_MANIFEST', /containers\[0\]\.securityContext\.runAsUser: expected an integer >= 0/));
    assert.throws(() => parse((p) => { p.securityContext = { runAsNonRoot: 'yes' }; }), code('LAB_BAD_MANIFEST', /spec\.securityContext\.runAsNonRoot: expected true or false/));
    assert.throws(() => parse((p) => { p.securityContext = { fsGroup: 'web' }; }), code('LAB_BAD_MANIFEST', /spec\.securityContext\.fsGroup/));
    assert.throws(() => parse((_p, c) => { c.securityContext = { runAsUserName: 'x' }; }), code('LAB_UNSUPPORTED_MANIFEST', /containers\[0\]\.securityContext\.runAsUserName/));
    const t = parse((p, c) => {
      p.securityContext = { runAsUser: 5, fsGroup: 7, supplementalGroups: [8, 9], seccompProfile: { type: 'RuntimeDefault' } };
      c.securityContext = { runAsGroup: 6, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true };
    });
    assert.deepEqual(t.securityContext, { runAsUser: 5, fsGroup: 7, supplementalGroups: [8, 9] });
    assert.deepEqual(t.container.securityContext, { runAsGroup: 6 });
  });

  test('a lab that is not root runs pods as itself and says when the manifest asked for another uid', () => {
    const t = parse((_p, c) => { c.securityContext = { runAsUser: 10001 }; });
    const u = resolvePodUser(t, 'Deployment/service', { labUid: 1000, env: { SUDO_UID: '4242' } });
    assert.deepEqual([u.uid, u.source, u.prefix], [1000, 'invoking-user', []]);
    assert.match(u.note, /pods run as the invoking user \(uid 1000\): the lab is not root and cannot switch users; the manifest's runAsUser 10001 is not applied/);
    // the refusal does not depend on who runs the lab: it is the manifest contradicting itself
    const root = parse((_p, c) => { c.securityContext = { runAsUser: 0, runAsNonRoot: true }; });
    assert.throws(() => resolvePodUser(root, 'Deployment/service', { labUid: 1000 }), code('LAB_RUN_AS_ROOT_REFUSED'));
  });

  test('rules as root, without starting anything: container over pod, gid from passwd, fsGroup and supplementalGroups as the only groups', () => {
    const u = resolvePodUser(parse((p, c) => { p.securityContext = { runAsUser: 1, fsGroup: 7, supplementalGroups: [7, 8] }; c.securityContext = { runAsUser: 65534 }; }), 'D', { labUid: 0, env: {} });
    assert.deepEqual([u.uid, u.gid, u.groups, u.source], [65534, 65534, [7, 8], 'manifest']);
    assert.deepEqual(u.prefix, ['setpriv', '--reuid=65534', '--regid=65534', '--groups=7,8', '--']);
    const sudo = resolvePodUser(parse(() => undefined), 'D', { labUid: 0, env: { SUDO_UID: '4242', SUDO_GID: '4343' } });
    assert.deepEqual([sudo.uid, sudo.gid, sudo.groups, sudo.source, sudo.prefix.at(-2)], [4242, 4343, [], 'sudo-user', '--clear-groups']);
    const allowed = resolvePodUser(parse((_p, c) => { c.securityContext = {}; }), 'D', { labUid: 0, env: { SUDO_UID: '4242' }, allowRootPods: true });
    assert.deepEqual([allowed.uid, allowed.gid, allowed.source], [0, 0, 'root-allowed']);
  });
});
