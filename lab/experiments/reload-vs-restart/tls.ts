import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { buildConnector, Client } from 'undici';
import { LabError } from '../../../common/errors.js';
import { emptyCounts, type ClassCounts } from '../../../loadtest/classes.js';
import { LoadGenerator } from '../../../loadtest/generator.js';
import type { RequestRecord } from '../../../loadtest/records.js';
import type { Scenario } from '../../../loadtest/scenario.js';
import { makeCert } from './certs.js';
import { writeConfigMapDir } from './configmap.js';
import { ConfigProber } from './probe.js';
import { freePort, spawnNode, startLabRedis } from '../../support/procs.js';
import { REPO_ROOT } from '../../engine/meta.js';
import { onTeardown } from '../../engine/teardown.js';

// Certificate rotation under HTTPS load, on one real service process this module starts (the
// rendered manifests carry no TLS Secret, so the local cluster has nothing to rotate).

export interface HandshakeLog { t: number; ok: boolean; fingerprint?: string; error?: string }

export interface TlsPhase { name: string; start: number; end: number; counts: ClassCounts; handshakes: number; failedHandshakes: number; fingerprints: Record<string, number> }

export interface TlsRun {
  rate: number;
  rotationInEffectMs: number;
  rotated: { from: string; to: string };
  mismatch: { refused: boolean; error: string | null; servedAfter: string };
  phases: TlsPhase[];
  keptAliveAcrossRotation: boolean;
  records: RequestRecord[];
  notes: string[];
}

const CONFIG = 'slowDefaultMs: 1000\ntls:\n  certFile: tls.crt\n  keyFile: tls.key\n';

function handshake(port: number): Promise<HandshakeLog> {
  return new Promise((resolve) => {
    const t = Date.now();
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, timeout: 5000 }, () => {
      const fingerprint = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve({ t, ok: true, fingerprint });
    });
    s.on('timeout', () => s.destroy(new Error('handshake timeout')));
    s.on('error', (err) => resolve({ t, ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message }));
  });
}

type Served = () => Promise<{ tls: { fingerprint256: string } | null; lastReload: { result: string; error: string | null } }>;

/** Writes the new pair and waits (≤ 5 s) until the service serves it; returns its fingerprint and how long that took. */
async function rotateTo(configDir: string, pair: { cert: string; key: string }, served: Served, fpA: string): Promise<{ fp: string; ms: number }> {
  const t0 = Date.now();
  await writeConfigMapDir(configDir, { 'config.yaml': CONFIG, 'tls.crt': pair.cert, 'tls.key': pair.key });
  let fp = '';
  for (let i = 0; i < 200; i++) {
    fp = (await served()).tls?.fingerprint256 ?? '';
    if (fp && fp !== fpA) break;
    await sleep(25);
  }
  if (fp === fpA) throw new LabError('LAB_TIMEOUT', 'the rotated certificate was not served within 5 s');
  return { fp, ms: Date.now() - t0 };
}

/** Writes a certificate with someone else's key; returns the reload error the service reported (null if none within 5 s). */
async function rotateMismatched(configDir: string, cert: string, key: string, served: Served): Promise<string | null> {
  await writeConfigMapDir(configDir, { 'config.yaml': CONFIG, 'tls.crt': cert, 'tls.key': key });
  for (let i = 0; i < 200; i++) {
    const s = await served();
    if (s.lastReload.result === 'failure') return s.lastReload.error;
    await sleep(25);
  }
  return null;
}

/** Per phase: request classes, handshakes, and which certificate (A old, B new) the handshakes saw. */
function tallies(phases: Array<{ name: string; start: number; end: number }>, records: RequestRecord[], handshakes: HandshakeLog[], fpA: string, fpB: string): TlsPhase[] {
  return phases.map((p) => {
    const counts = emptyCounts();
    for (const r of records) if (r.t_sched >= p.start && r.t_sched < p.end) counts[r.class]++;
    const hs = handshakes.filter((h) => h.t >= p.start && h.t < p.end);
    const fingerprints: Record<string, number> = {};
    for (const h of hs) {
      if (!h.fingerprint) continue;
      const k = h.fingerprint === fpA ? 'A' : h.fingerprint === fpB ? 'B' : 'other';
      fingerprints[k] = (fingerprints[k] ?? 0) + 1;
    }
    return { ...p, counts, handshakes: hs.length, failedHandshakes: hs.filter((h) => !h.ok).length, fingerprints };
  });
}

/** Three certificates (a served first, b the rotation, c for the mismatch), Redis, and one HTTPS service on pair a. */
async function startTlsService(dir: string) {
  const configDir = join(dir, 'config');
  const a = makeCert(dir, 'a');
  const b = makeCert(dir, 'b');
  const c = makeCert(dir, 'c');
  await writeConfigMapDir(configDir, { 'config.yaml': CONFIG, 'tls.crt': a.cert, 'tls.key': a.key });
  const redis = await startLabRedis();
  const port = await freePort();
  const httpsPort = await freePort();
  const svc = spawnNode('service', 'dist/service/main.js', {
    PORT: String(port), HTTPS_PORT: String(httpsPort), HOST: '127.0.0.1', REDIS_URL: redis.url,
    CONFIG_FILE: join(configDir, 'config.yaml'), QUEUE_NAME: `rvr-tls-${process.pid}`, LAB_FIXES: 'all',
  }, REPO_ROOT);
  return { configDir, b, c, redis, port, httpsPort, svc };
}

export async function runTlsRotation(o: { scenario: Scenario; rate: number; runId: string; say: (l: string) => void }): Promise<TlsRun> {
  const dir = mkdtempSync(join(tmpdir(), 'rvr-tls-'));
  const { configDir, b, c, redis, port, httpsPort, svc } = await startTlsService(dir);
  const prober = new ConfigProber();
  let gen: LoadGenerator | undefined;
  let probing = false;
  let handshakeLoop: Promise<void> | undefined;
  const teardown = async () => {
    probing = false;
    await gen?.stop(0);
    await handshakeLoop;
    await svc.stop('SIGKILL', 2000);
    await redis.stop();
    await prober.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onTeardown(teardown);
  try {
    await svc.waitFor((l) => l.event === 'https-listening', 20_000);
    const base = `http://127.0.0.1:${port}`;
    const served: Served = async () => (await (await fetch(`${base}/config`)).json()) as Awaited<ReturnType<Served>>;
    const fpA = (await served()).tls?.fingerprint256 ?? '';
    gen = new LoadGenerator({
      scenario: o.scenario, rate: o.rate, keepAlive: true, runId: `${o.runId}-tls`,
      // the strict view, as its stored runs were made: every failed attempt counts, none is resent
      client: 'node',
      targets: [{ path: 'l4', origin: `https://127.0.0.1:${httpsPort}`, connect: buildConnector({ rejectUnauthorized: false }) }],
    });
    // One kept-alive TLS connection, used before and after the rotation, proves existing
    // connections are not interrupted; the handshake loop proves new ones get the new certificate.
    const keeper = new Client(`https://127.0.0.1:${httpsPort}`, { connect: { rejectUnauthorized: false }, pipelining: 1, keepAliveTimeout: 60_000 });
    let keeperConnects = 0;
    keeper.on('connect', () => { keeperConnects++; });
    const handshakes: HandshakeLog[] = [];
    probing = true;
    handshakeLoop = (async () => {
      for (let i = 0; probing && i < 100_000; i++) {
        handshakes.push(await handshake(httpsPort));
        await sleep(50);
      }
    })();
    const phases: Array<{ name: string; start: number; end: number }> = [];
    const phase = async (name: string, ms: number, during?: () => Promise<void>) => {
      const p = { name, start: Date.now(), end: 0 };
      phases.push(p);
      await during?.();
      const left = p.start + ms - Date.now();
      if (left > 0) await sleep(left);
      p.end = Date.now();
    };
    gen.start();
    o.say(`[tls] HTTPS load ${o.rate}/s on one service process; warm-up, steady, rotate, mismatched rotation`);
    await phase('warmup', 3000);
    await keeper.request({ path: '/fast', method: 'GET' }).then((r) => r.body.dump());
    let rotation = { fp: '', ms: 0 };
    await phase('steady', 5000);
    await phase('rotation', 5000, async () => { rotation = await rotateTo(configDir, b, served, fpA); });
    await keeper.request({ path: '/fast', method: 'GET' }).then((r) => r.body.dump());
    const keptAliveAcrossRotation = keeperConnects === 1;
    let mismatchError: string | null = null;
    await phase('mismatched-rotation', 5000, async () => { mismatchError = await rotateMismatched(configDir, c.cert, b.key, served); });
    await phase('cooldown', 2000);
    probing = false;
    await handshakeLoop;
    await gen.stop();
    await keeper.close();
    const servedAfter = (await served()).tls?.fingerprint256 ?? '';
    const records = [...gen.records];
    const fpB = rotation.fp;
    const out = tallies(phases, records, handshakes, fpA, fpB);
    return {
      rate: o.rate, rotationInEffectMs: rotation.ms, rotated: { from: fpA, to: fpB },
      mismatch: { refused: mismatchError !== null && servedAfter === fpB, error: mismatchError, servedAfter },
      phases: out, keptAliveAcrossRotation, records, notes: [],
    };
  } finally {
    await teardown();
    unregister();
  }
}
