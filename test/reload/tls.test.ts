import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { connect } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCert, makeExpiredCert } from './certs.js';
import { get, SERVICE_SCRIPT } from './client.js';
import { writeConfigMapDir } from '../../lab/experiments/reload-vs-restart/configmap.js';
import { freePort } from '../helpers/ports.js';
import { startNode } from '../helpers/proc.js';
import { startRedis } from '../helpers/redis.js';
import { sleep, waitUntil, within } from '../helpers/wait.js';
import { startService, type RunningService } from './service.js';

const running: RunningService[] = [];
const certDir = mkdtempSync(join(tmpdir(), 'lab-certs-'));
after(async () => {
  await Promise.all(running.map((s) => s.stop()));
  rmSync(certDir, { recursive: true, force: true });
});

const CONFIG = 'slowDefaultMs: 20\ntls: {certFile: tls.crt, keyFile: tls.key}\n';

/** Fingerprint presented to a brand-new handshake. */
function handshake(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, timeout: 5000 }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('timeout', () => s.destroy(new Error('handshake timeout')));
    s.on('error', reject);
  });
}

/** Steady HTTPS traffic, half on one kept-alive connection, half on fresh handshakes. */
function traffic(base: string, agent: Agent): { readonly ok: number; stop(): Promise<{ ok: number; failed: string[] }> } {
  let on = true;
  let ok = 0;
  const failed: string[] = [];
  const loop = (async () => {
    for (let i = 0; on && i < 10_000; i++) {
      try {
        const r = await get(`${base}/fast`, { agent: i % 2 ? agent : false, timeoutMs: 5000 });
        if (r.status === 200) ok++; else failed.push(`status ${r.status}`);
      } catch (err) {
        failed.push((err as Error).message);
      }
      await sleep(10); // pacing
    }
  })();
  return { get ok() { return ok; }, async stop() { on = false; await loop; return { ok, failed }; } };
}

test('cert+key rotation: the open TLS connection keeps working, new handshakes get the new cert; a mismatched pair is refused under traffic', async () => {
  const a = makeCert(certDir, 'a');
  const b = makeCert(certDir, 'b');
  const c = makeCert(certDir, 'c');
  const expired = makeExpiredCert(certDir, 'expired');
  const s = await startService({ 'config.yaml': CONFIG, 'tls.crt': a.cert, 'tls.key': a.key }, { https: true });
  running.push(s);
  const port = Number(new URL(s.httpsBase).port);
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  // Counted here, not with req.reusedSocket: Node leaves that false for a request that waited in
  // the agent's queue for the one (reused) socket.
  let agentConnections = 0;
  const create = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<typeof create>) => { agentConnections++; return create(...args); }) as typeof agent.createConnection;
  try {
    const first = await get(`${s.httpsBase}/fast`, { agent });
    assert.equal(first.status, 200);
    const fpA = first.peerFingerprint!;
    assert.equal(await handshake(port), fpA);

    const load = traffic(s.httpsBase, agent);
    await waitUntil('traffic flowing before the rotation', () => load.ok >= 4);
    // Certificate and key change in one ..data swap, as a Secret update delivers them.
    await s.publish({ 'config.yaml': CONFIG, 'tls.crt': b.cert, 'tls.key': b.key });
    const rotated = await s.nth('tls-rotated', 1);
    assert.notEqual(rotated.fingerprint256, fpA);

    const again = await get(`${s.httpsBase}/fast`, { agent });
    assert.equal(again.status, 200);
    assert.equal(agentConnections, 1, 'the same TLS connection carried every agent request, before and after rotation');
    assert.equal(again.peerFingerprint, fpA, 'an existing connection keeps the session it negotiated');
    const fpB = await handshake(port);
    assert.equal(fpB, rotated.fingerprint256, 'a new handshake gets the new certificate');

    // Mismatched pair (c's cert, b's key), then an expired pair: both refused, b stays, traffic continues.
    await s.publish({ 'config.yaml': CONFIG, 'tls.crt': c.cert, 'tls.key': b.key });
    await s.nth('config-reload-failed', 1);
    let cfg = await s.config();
    assert.match(cfg.lastReload.error, /LAB_TLS_MISMATCH/);
    assert.equal(cfg.tls.fingerprint256, fpB);
    await s.publish({ 'config.yaml': CONFIG, 'tls.crt': expired.cert, 'tls.key': expired.key });
    await s.nth('config-reload-failed', 2);
    cfg = await s.config();
    assert.match(cfg.lastReload.error, /LAB_BAD_CONFIG.*expired/);
    assert.equal(await handshake(port), fpB, 'refused rotations leave the served certificate alone');
    const okAfterRefusals = load.ok;
    await waitUntil('traffic still flowing after the refused rotations', () => load.ok >= okAfterRefusals + 6);
    const result = await load.stop();
    assert.equal(agentConnections, 1, 'the kept-alive connection survived the refused rotations too');
    assert.deepEqual(result.failed, [], 'no request or handshake failed during rotation and refusals');
    assert.ok(result.ok > 10, `traffic actually ran (${result.ok} ok)`);
    assert.equal(s.count('tls-rotated'), 1);
    assert.equal((await get(`${s.base}/readyz`)).status, 200);
  } finally {
    agent.destroy();
  }
});

test('a bad config at start is a start-up error: exit 1 with start-failed naming file, field and problem', async () => {
  const dir = join(certDir, 'bad-start');
  await writeConfigMapDir(dir, { 'config.yaml': 'slowDefaultMs: -3\n' });
  const redis = await startRedis();
  const proc = startNode(SERVICE_SCRIPT, { PORT: String(await freePort()), HOST: '127.0.0.1', REDIS_URL: redis.url, CONFIG_FILE: join(dir, 'config.yaml'), QUEUE_NAME: `reload-bad-${process.pid}` });
  try {
    const exit = await within(proc.exited, 15_000, () => null);
    assert.ok(exit, 'exited within 15 s');
    assert.equal(exit.code, 1);
    const line = proc.lines.find((l): l is Record<string, any> => typeof l === 'object' && l.event === 'start-failed');
    assert.equal(line?.code, 'LAB_BAD_CONFIG');
    assert.match(line?.err, /config\.yaml: slowDefaultMs: -3 is out of range/);
  } finally {
    proc.child.kill('SIGKILL');
    await redis.stop();
  }
});
