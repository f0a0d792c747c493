import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../../common/errors.js';
import type { buildConnector } from 'undici';
import { LoadGenerator } from '../../../loadtest/generator.js';
import type { RequestRecord } from '../../../loadtest/records.js';
import type { Scenario } from '../../../loadtest/scenario.js';
import { LocalCluster } from '../../targets/local/cluster.js';
import { ConfigProber, countingConnector, type ConnEvent } from './probe.js';
import { REPO_ROOT } from '../../engine/meta.js';
import { onTeardown } from '../../engine/teardown.js';
import type { TimelineEvent } from '../../engine/schema.js';

// One method of changing the service's config under the engine's load, on a fresh local cluster
// running the `after` arm (every shutdown lever on: the best a restart can do).

export const METHODS = ['restart', 'reload'] as const;
export type Method = (typeof METHODS)[number];

export const CONFIG_MAP = 'service-config';
export const CONFIG_KEY = 'config.yaml';
export const SERVICE = 'service';
const ARM_MANIFEST = 'k8s/rendered/after.yaml';

export interface Interval { start: number; end: number }
export interface ChangeMark extends Interval {
  n: number;
  checksum: string;
  /** from the change until every pod serving traffic answered /config with the new checksum */
  inEffectMs: number;
  sighupFallback: boolean;
}

export interface MethodRun {
  method: Method;
  records: RequestRecord[];
  baseline: Interval;
  changes: ChangeMark[];
  conns: ConnEvent[];
  events: TimelineEvent[];
  notes: string[];
  dropped: number;
  replicas: number;
}

export interface MethodOptions {
  method: Method;
  scenario: Scenario;
  rate: number;
  changes: number;
  minWindowMs: number;
  propagationDelayMs?: number;
  workDir: string;
  runId: string;
  say: (line: string) => void;
}

/** The change: a different blocklist and rate limit each time (neither touches the load's own clients). */
export function changedConfig(n: number): string {
  return [
    `# reload-vs-restart change ${n}`,
    'slowDefaultMs: 1000',
    'rateLimit:',
    `  perClientPerSecond: ${50_000 + n} # far above the load: the change must be visible, not throttling`,
    'blocklist:',
    '  - 192.0.2.0/24',
    `  - 198.51.100.${n}`,
    `  - 2001:db8::${n.toString(16)}/128`,
    '',
  ].join('\n');
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Waits until the routing view lists every replica of the service; returns the replica count. */
async function waitViewFull(c: LocalCluster): Promise<number> {
  const replicas = c.manifest.deployments.find((d) => d.name === SERVICE)?.replicas ?? 1;
  const deadline = Date.now() + c.propagationDelayMs + 15_000;
  while (c.view(SERVICE).endpoints().length < replicas) {
    if (Date.now() > deadline) throw new LabError('LAB_TIMEOUT', `the routing view of Service/${SERVICE} did not list ${replicas} pods in time`);
    await sleep(50);
  }
  return replicas;
}

interface ChangeContext {
  o: MethodOptions;
  c: LocalCluster;
  prober: ConfigProber;
  livePods: () => string[];
  replicas: number;
  notes: string[];
}

/** Change n by the method under test; resolves when it is in effect on every pod and its window is over. */
async function applyChange(x: ChangeContext, n: number): Promise<ChangeMark> {
  const { o, c } = x;
  const text = changedConfig(n);
  const checksum = sha256(text);
  const start = Date.now();
  let sighupFallback = false;
  const inEffect = x.prober.waitInEffect(x.livePods, checksum, x.replicas, 120_000);
  inEffect.catch(() => undefined); // awaited below; this only keeps a timeout mid-rollout from being "unhandled"
  if (o.method === 'restart') {
    // What a config-reloader that restarts pods does: new pods get the new ConfigMap, old
    // pods keep theirs (their volume is not rewritten) until they are replaced.
    c.manifest.configMaps.set(CONFIG_MAP, { ...c.manifest.configMaps.get(CONFIG_MAP), [CONFIG_KEY]: text });
    await c.rolloutRestart([SERVICE]);
  } else {
    await c.updateConfigMap(CONFIG_MAP, { ...c.manifest.configMaps.get(CONFIG_MAP), [CONFIG_KEY]: text });
    // The ..data watch is the trigger; SIGHUP only if a pod has not switched within 3 s.
    const first = await Promise.race([inEffect.then(() => true), sleep(3000).then(() => false)]);
    if (!first) {
      sighupFallback = true;
      x.notes.push(`change ${n}: not in effect after 3 s via the ..data watch; sent SIGHUP`);
      for (const p of c.pods()) if (p.deployment === SERVICE && p.pid1) process.kill(p.pid1, 'SIGHUP');
    }
  }
  const { ms } = await inEffect;
  const end = Math.max(Date.now(), start + o.minWindowMs);
  await sleep(end - Date.now());
  return { n, start, end, checksum, inEffectMs: ms, sighupFallback };
}

export async function runMethod(o: MethodOptions): Promise<MethodRun> {
  const runDir = join(o.workDir, `${o.runId}-${o.method}`);
  mkdirSync(runDir, { recursive: true });
  const notes: string[] = [];
  let cluster: LocalCluster | undefined;
  let gen: LoadGenerator | undefined;
  const prober = new ConfigProber();
  const teardown = async (abort: boolean) => {
    await gen?.stop(abort ? 0 : undefined);
    await cluster?.close();
    await prober.close();
  };
  const unregister = onTeardown(() => teardown(true));
  try {
    o.say(`[${o.method}] starting the local cluster (${ARM_MANIFEST})`);
    cluster = await LocalCluster.start({ manifestFile: resolve(REPO_ROOT, ARM_MANIFEST), runDir, ...(o.propagationDelayMs !== undefined ? { propagationDelayMs: o.propagationDelayMs } : {}) });
    const c = cluster;
    notes.push(...c.notes);
    if (!c.manifest.configMaps.has(CONFIG_MAP)) throw new LabError('LAB_UNSUPPORTED_MANIFEST', `${ARM_MANIFEST} has no ConfigMap/${CONFIG_MAP} for the service's CONFIG_FILE`);
    const replicas = await waitViewFull(c);
    const livePods = () => c.pods().filter((p) => p.deployment === SERVICE && p.hostPids.length > 0).map((p) => c.serviceUrlFor(p));
    const counted = countingConnector(c.l4Connect(SERVICE) as unknown as buildConnector.connector);
    gen = new LoadGenerator({
      scenario: o.scenario, rate: o.rate, keepAlive: true, runId: `${o.runId}-${o.method}`,
      // the strict view, as its stored runs were made: every failed attempt counts, none is resent
      client: 'node',
      targets: [{ path: 'l4', origin: 'http://service', connect: counted.connect }, { path: 'ingress', origin: c.ingressUrl }],
    });
    const ph = o.scenario.phases;
    gen.start();
    o.say(`[${o.method}] load ${o.rate}/s: warm-up ${ph.warmupSeconds}s, baseline ${ph.baselineSeconds}s`);
    await sleep(ph.warmupSeconds * 1000);
    const baseline = { start: Date.now(), end: 0 };
    await sleep(ph.baselineSeconds * 1000);
    baseline.end = Date.now();

    const changes: ChangeMark[] = [];
    for (let n = 1; n <= o.changes; n++) {
      changes.push(await applyChange({ o, c, prober, livePods, replicas, notes }, n));
      o.say(`[${o.method}] change ${n}/${o.changes}: in effect on every pod after ${changes.at(-1)!.inEffectMs} ms`);
      if (n < o.changes) await sleep(ph.pauseBetweenDeploysSeconds * 1000);
    }
    await sleep(ph.cooldownSeconds * 1000);
    await gen.stop();
    const dropped = gen.dropped;
    const records = [...gen.records];
    const events = [...c.events];
    await teardown(false);
    return { method: o.method, records, baseline, changes, conns: counted.events, events, notes, dropped, replicas };
  } catch (err) {
    await teardown(true);
    throw err;
  } finally {
    unregister();
  }
}
