import { parseFixes, type Fixes } from '../../../common/levers.js';
import { basename } from 'node:path';
import { shapeOf, type CommandShape } from './command.js';
import { imageArgv, type DockerfileInfo } from './dockerfile.js';
import { simpleCommands } from './shell-words.js';
import { builtinShutdownDelay } from './shutdown-delay.js';
import { nodeSigterm } from './node-sigterm.js';
import { pythonSigterm } from './python-sigterm.js';
import type { Container } from './model.js';

// What the doctor knows about the app in a container, from the manifest alone: its command, the
// lab's own env contract (docs/architecture.md, "Process contract"), a few widely used env names,
// and the --drain-s the user gave. Anything else is "cannot know" and the rules say so.

export interface Knowable<T> { value: T; from: string }

export interface AppProfile {
  /** effective argv, or undefined when the image's own ENTRYPOINT/CMD decides and no --dockerfile was given */
  command: (CommandShape & { from: string }) | undefined;
  lab: { role: 'service' | 'worker'; fixes: Fixes } | undefined;
  sigterm: 'handled' | 'not-handled' | 'unknown';
  sigtermWhy: string;
  drainDeadlineS: Knowable<number> | undefined;
  consumer: { lockS: Knowable<number>; stalledS: Knowable<number>; jobS: Knowable<number> | undefined; handsBack: 'yes' | 'no' | 'unknown' } | undefined;
  graceS: Knowable<number>;
  /** `broken`: the hook cannot run as written (e.g. a quoted command name), so SIGTERM comes at once */
  preStop: { kind: 'none' } | { kind: 'native' | 'exec'; seconds: number } | { kind: 'other' } | { kind: 'broken'; why: string };
  /** the app's own wait after SIGTERM before it closes its listeners (shutdown-delay.ts): it serves on meanwhile */
  shutdownDelayS: Knowable<number> | undefined;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh']);
/** Programs that exit on SIGTERM even as PID 1 (they install a handler). */
const HANDLES_SIGTERM = new Set(['redis-server', 'nginx', 'postgres', 'haproxy', 'envoy', 'caddy', 'traefik', 'java', 'gunicorn', 'uvicorn', 'httpd']);
/** Drain deadlines apps commonly read, in milliseconds or seconds. SHUTDOWN_DEADLINE_MS is this lab's own. */
export const DRAIN_ENV: ReadonlyArray<[string, number]> = [
  ['SHUTDOWN_DEADLINE_MS', 1 / 1000], ['SHUTDOWN_TIMEOUT_MS', 1 / 1000], ['GRACEFUL_SHUTDOWN_TIMEOUT_MS', 1 / 1000],
  ['SHUTDOWN_TIMEOUT_SECONDS', 1], ['GRACEFUL_SHUTDOWN_TIMEOUT_SECONDS', 1],
];
/** Queue consumer lock/stall settings by env name (ms). LOCK_MS is the lab worker's BullMQ lockDuration = stalledInterval. */
const LOCK_ENV = ['LOCK_MS', 'LOCK_DURATION_MS', 'BULLMQ_LOCK_DURATION_MS'];
const STALLED_ENV = ['STALLED_INTERVAL_MS', 'BULLMQ_STALLED_INTERVAL_MS'];
const JOB_ENV = ['JOB_MS', 'JOB_TIMEOUT_MS'];
/** BullMQ Worker defaults (node_modules/bullmq/dist/esm/classes/worker.js: lockDuration 30000, stalledInterval 30000). */
export const BULLMQ_DEFAULT_LOCK_MS = 30_000;
export const BULLMQ_DEFAULT_STALLED_MS = 30_000;
/** Kubernetes' default terminationGracePeriodSeconds (PodSpec). */
export const DEFAULT_GRACE_S = 30;
/** The lab app's SHUTDOWN_DEADLINE_MS default (docs/architecture.md). */
const LAB_DEFAULT_DEADLINE_MS = 8000;

export function envValue(c: Container, name: string): string | undefined {
  const e = Array.isArray(c.spec.env) ? c.spec.env.find((x: any) => x?.name === name) : undefined;
  return typeof e?.value === 'string' ? e.value : undefined;
}

function envNumber(c: Container, names: readonly string[]): { name: string; n: number } | undefined {
  for (const name of names) {
    const v = envValue(c, name);
    if (v !== undefined && /^\d+(\.\d+)?$/.test(v.trim())) return { name, n: Number(v) };
  }
  return undefined;
}

function effectiveArgv(c: Container, df: DockerfileInfo | undefined): { argv: string[]; from: string } | undefined {
  const { command, args } = c.spec;
  if (Array.isArray(command) && command.length) return { argv: [...command, ...(Array.isArray(args) ? args : [])].map(String), from: 'command' };
  if (!df) return undefined;
  const argv = imageArgv(df, Array.isArray(args) ? args.map(String) : undefined);
  return argv ? { argv, from: !df.entrypoint && Array.isArray(args) ? 'args' : df.file } : undefined;
}

function labOf(c: Container, shape: CommandShape | undefined): AppProfile['lab'] {
  const raw = envValue(c, 'LAB_FIXES');
  if (raw === undefined) return undefined;
  let fixes: Fixes;
  try {
    fixes = parseFixes(raw);
  } catch {
    return undefined; // the app itself refuses it at start (LAB_BAD_ENV); not a deploy-window question
  }
  const words = shape ? [...shape.argv, ...shape.programArgs].join(' ') : '';
  return { role: /worker\/main\.js/.test(words) ? 'worker' : 'service', fixes };
}

function sigtermOf(shape: CommandShape | undefined, lab: AppProfile['lab'], df: DockerfileInfo | undefined): Pick<AppProfile, 'sigterm' | 'sigtermWhy'> {
  if (lab) {
    return lab.fixes.has('pid1')
      ? { sigterm: 'handled', sigtermWhy: 'LAB_FIXES includes pid1: the lab app installs its SIGTERM handler' }
      : { sigterm: 'not-handled', sigtermWhy: 'LAB_FIXES lacks pid1: the lab app installs no SIGTERM handler' };
  }
  if (shape?.init) return { sigterm: 'handled', sigtermWhy: `${shape.init} is PID 1 and forwards SIGTERM` };
  if (shape && HANDLES_SIGTERM.has(shape.program)) return { sigterm: 'handled', sigtermWhy: `${shape.program} handles SIGTERM` };
  // node or python itself as PID 1 (a shell in front is the wrapper rules' finding): its sources say whether it handles SIGTERM
  const own = shape && !shape.shell ? nodeSigterm(shape.program, shape.programArgs, df) ?? pythonSigterm(shape.program, shape.programArgs, df) : undefined;
  if (own) return own;
  return { sigterm: 'unknown', sigtermWhy: shape ? `the manifest cannot tell whether ${shape.program || 'the program'} handles SIGTERM` : df ? `${df.file} sets no CMD or ENTRYPOINT, so the base image ${df.image ?? ''}'s own command runs, which the doctor does not know` : 'the command comes from the image, which the doctor did not read (pass --dockerfile, or keep a skaffold.yaml naming its Dockerfile near the manifests)' };
}

function drainOf(c: Container, lab: AppProfile['lab'], drainS: number | undefined): Knowable<number> | undefined {
  const labDeadline = () => ({ value: (envNumber(c, ['SHUTDOWN_DEADLINE_MS'])?.n ?? LAB_DEFAULT_DEADLINE_MS) / 1000, from: 'SHUTDOWN_DEADLINE_MS' });
  // the lab service arms its deadline only with drain; the worker whenever it has a handler (pid1)
  if (lab) return lab.fixes.has(lab.role === 'service' ? 'drain' : 'pid1') ? labDeadline() : undefined;
  for (const [name, toS] of DRAIN_ENV) {
    const v = envNumber(c, [name]);
    if (v) return { value: v.n * toS, from: name };
  }
  return drainS === undefined ? undefined : { value: drainS, from: '--drain-s' };
}

function consumerOf(c: Container, lab: AppProfile['lab']): AppProfile['consumer'] {
  const lock = envNumber(c, LOCK_ENV);
  const stalled = envNumber(c, STALLED_ENV);
  const job = envNumber(c, JOB_ENV);
  const isLabWorker = lab?.role === 'worker';
  if (!isLabWorker && !lock && !stalled) return undefined;
  const lockS = lock ? { value: lock.n / 1000, from: lock.name } : { value: BULLMQ_DEFAULT_LOCK_MS / 1000, from: 'BullMQ default lockDuration' };
  // the lab worker sets stalledInterval = LOCK_MS (docs/architecture.md, "Worker")
  const stalledS = stalled ? { value: stalled.n / 1000, from: stalled.name }
    : isLabWorker ? { ...lockS } : { value: BULLMQ_DEFAULT_STALLED_MS / 1000, from: 'BullMQ default stalledInterval' };
  // requeue without pid1 never runs (no handler): that is the pid1 rules' finding, not a second one here
  const handsBack = isLabWorker ? (lab!.fixes.has('requeue') ? 'yes' : 'no') : 'unknown';
  return { lockS, stalledS, jobS: job ? { value: job.n / 1000, from: job.name } : undefined, handsBack };
}

/** `sleep N`, `sleep Ns|m|h` (GNU and busybox sleep take a suffix) → seconds */
function sleepSeconds(words: readonly string[]): number | undefined {
  if (basename(words[0] ?? '') !== 'sleep' || words.length !== 2) return undefined;
  const m = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(words[1]!);
  return m ? Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2]!]! : undefined;
}
/** Commands that end at once: a hook made of these and sleeps lasts as long as its sleeps. */
const INSTANT = new Set(['echo', 'printf', 'true', ':', 'date', 'logger']);

/**
 * How long an exec preStop waits. `sh -c "<script>"` is split as the shell does (shell-words.ts):
 * `sh -c "'sleep 10'"` runs a command named `sleep 10`, which does not exist, so the hook fails.
 */
function execPreStop(argv: readonly string[]): AppProfile['preStop'] {
  const direct = sleepSeconds(argv);
  if (direct !== undefined) return { kind: 'exec', seconds: direct };
  const shell = SHELLS.has(basename(argv[0] ?? '')) ? argv.findIndex((a, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(a)) : -1;
  const script = shell > 0 ? argv[shell + 1] : undefined;
  if (script === undefined) return { kind: 'other' };
  let seconds = 0;
  for (const { words } of simpleCommands(script)) {
    const s = sleepSeconds(words);
    if (s !== undefined) seconds += s;
    else if (/\s/.test(words[0]!)) return { kind: 'broken', why: `the hook's shell runs a command named \`${words[0]}\` (quoted as one word), which does not exist: the hook fails and SIGTERM comes at once` };
    else if (!INSTANT.has(basename(words[0]!))) return { kind: 'other' };
  }
  return seconds > 0 ? { kind: 'exec', seconds } : { kind: 'other' };
}

function preStopOf(c: Container): AppProfile['preStop'] {
  const p = c.spec.lifecycle?.preStop;
  if (!p) return { kind: 'none' };
  if (typeof p.sleep?.seconds === 'number') return { kind: 'native', seconds: p.sleep.seconds };
  const argv: unknown = p.exec?.command;
  return Array.isArray(argv) ? execPreStop(argv.map(String)) : { kind: 'other' };
}

export function profileOf(c: Container, df: DockerfileInfo | undefined, drainS: number | undefined): AppProfile {
  const eff = effectiveArgv(c, df);
  const shape = eff ? { ...shapeOf(eff.argv), from: eff.from } : undefined;
  const lab = labOf(c, shape);
  const grace = c.workload.podSpec.terminationGracePeriodSeconds;
  return {
    command: shape, lab, ...sigtermOf(shape, lab, df),
    drainDeadlineS: drainOf(c, lab, drainS),
    consumer: consumerOf(c, lab),
    graceS: typeof grace === 'number' ? { value: grace, from: 'terminationGracePeriodSeconds' } : { value: DEFAULT_GRACE_S, from: 'default terminationGracePeriodSeconds' },
    preStop: preStopOf(c),
    shutdownDelayS: builtinShutdownDelay(c, shape),
  };
}
