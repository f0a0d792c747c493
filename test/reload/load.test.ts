import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../service/config/load.js';
import { ConfigStore } from '../../service/config/store.js';
import { isLabError } from '../../common/errors.js';
import { makeCert, makeExpiredCert, type TestCert } from './certs.js';

let dir: string;
let certA: TestCert;
let certB: TestCert;
let expired: TestCert;
const log = pino({ level: 'silent' });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lab-reload-load-'));
  certA = makeCert(dir, 'a');
  certB = makeCert(dir, 'b');
  expired = makeExpiredCert(dir, 'old');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function refused(path: string, code: 'LAB_BAD_CONFIG' | 'LAB_TLS_MISMATCH', ...mentions: string[]): Promise<void> {
  await assert.rejects(loadConfig(path, 1), (err: unknown) => {
    assert.ok(isLabError(err, code), `expected ${code}, got ${String(err)}`);
    for (const m of [path, ...mentions]) assert.ok((err as Error).message.includes(m), `"${(err as Error).message}" should mention "${m}"`);
    return true;
  });
}

/** The same check as `refused`, in a child process running as uid/gid 65534 (nobody). */
function refusedAsNobody(path: string, code: string, ...mentions: string[]): void {
  chmodSync(dir, 0o755);
  const load = new URL('../../service/config/load.js', import.meta.url).href;
  const script = `import { loadConfig } from ${JSON.stringify(load)};
    loadConfig(${JSON.stringify(path)}, 1).then(() => console.log('LOADED'), (e) => console.log(e.code + ' ' + e.message));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith(`${code} `), `expected ${code} as nobody, got ${r.stdout}`);
  for (const m of [path, ...mentions]) assert.ok(r.stdout.includes(m), `"${r.stdout.trim()}" should mention "${m}"`);
}

test('YAML and JSON load into a deeply frozen config with checksum and a working blocklist', async () => {
  const y = await loadConfig(file('ok.yaml', 'slowDefaultMs: 250\nrateLimit: {perClientPerSecond: 5}\nblocklist: [10.0.0.0/8, "2001:db8::1", 192.0.2.7]\n'), 1);
  assert.equal(y.values.slowDefaultMs, 250);
  assert.match(y.checksum!, /^[0-9a-f]{64}$/);
  assert.ok(Object.isFrozen(y) && Object.isFrozen(y.values) && Object.isFrozen(y.values.rateLimit));
  assert.equal(y.values.blocklistEntries, 3);
  assert.throws(() => { (y.values as { slowDefaultMs: number }).slowDefaultMs = 1; }, TypeError);
  assert.equal(y.isBlocked('10.1.2.3'), true);
  assert.equal(y.isBlocked('::ffff:10.1.2.3'), true, 'IPv4-mapped peers match IPv4 rules');
  assert.equal(y.isBlocked('2001:db8::1'), true);
  assert.equal(y.isBlocked('192.0.2.8'), false);
  const j = await loadConfig(file('ok.json', '{"slowDefaultMs": 7}'), 2);
  assert.equal(j.values.slowDefaultMs, 7);
  assert.equal(j.values.rateLimit.perClientPerSecond, 0);
  // No extension: sniffed from the content.
  assert.equal((await loadConfig(file('noext', '{"slowDefaultMs": 8}'), 3)).values.slowDefaultMs, 8);
});

test('every bad input is refused with a LabError naming file, field and problem', async () => {
  await refused(file('syntax.yaml', 'slowDefaultMs: [1,\n'), 'LAB_BAD_CONFIG', '(syntax)');
  await refused(file('syntax.json', '{"slowDefaultMs": 1,}'), 'LAB_BAD_CONFIG', '(syntax)', 'JSON');
  await refused(file('neg.yaml', 'slowDefaultMs: -5\n'), 'LAB_BAD_CONFIG', 'slowDefaultMs', '-5');
  await refused(file('big.yaml', 'slowDefaultMs: 30001\n'), 'LAB_BAD_CONFIG', 'slowDefaultMs', '0..30000');
  await refused(file('frac.yaml', 'rateLimit: {perClientPerSecond: 1.5}\n'), 'LAB_BAD_CONFIG', 'rateLimit.perClientPerSecond', '1.5');
  await refused(file('negrate.yaml', 'rateLimit: {perClientPerSecond: -1}\n'), 'LAB_BAD_CONFIG', 'rateLimit.perClientPerSecond');
  await refused(file('unknown.yaml', 'slowDefaultMs: 1\nslowDefault: 2\n'), 'LAB_BAD_CONFIG', 'slowDefault', 'unknown key');
  await refused(file('unknown2.yaml', 'rateLimit: {perClient: 2}\n'), 'LAB_BAD_CONFIG', 'rateLimit.perClient');
  await refused(file('cidr.yaml', 'blocklist: [10.0.0.1, 10.0.0.0/33]\n'), 'LAB_BAD_CONFIG', 'blocklist[1]', '10.0.0.0/33');
  await refused(file('cidr2.yaml', 'blocklist: ["300.1.1.1"]\n'), 'LAB_BAD_CONFIG', 'blocklist[0]', '300.1.1.1');
  await refused(file('cidr3.yaml', 'blocklist: ["2001:db8::/129"]\n'), 'LAB_BAD_CONFIG', 'blocklist[0]');
  await refused(file('cidr4.yaml', 'blocklist: [42]\n'), 'LAB_BAD_CONFIG', 'blocklist[0]');
  await refused(file('root.yaml', '- 1\n'), 'LAB_BAD_CONFIG', '(root)');
  await refused(file('empty.yaml', ''), 'LAB_BAD_CONFIG', 'empty');
  await refused(join(dir, 'missing.yaml'), 'LAB_BAD_CONFIG', 'ENOENT');
  const unreadable = file('unreadable.yaml', 'slowDefaultMs: 1\n');
  chmodSync(unreadable, 0o000);
  // root reads a mode-000 file anyway: as root, the same load runs in a child that drops to nobody
  if (process.getuid?.() !== 0) await refused(unreadable, 'LAB_BAD_CONFIG', 'EACCES');
  else refusedAsNobody(unreadable, 'LAB_BAD_CONFIG', 'EACCES');
  await refused(file('nokey.yaml', `tls: {certFile: ${certA.certFile}, keyFile: ${join(dir, 'nope.key')}}\n`), 'LAB_BAD_CONFIG', 'tls.keyFile', 'ENOENT');
  await refused(file('mismatch.yaml', `tls: {certFile: ${certA.certFile}, keyFile: ${certB.keyFile}}\n`), 'LAB_TLS_MISMATCH', 'tls', certB.keyFile);
  await refused(file('expired.yaml', `tls: {certFile: ${expired.certFile}, keyFile: ${expired.keyFile}}\n`), 'LAB_BAD_CONFIG', 'tls.certFile', 'expired');
  await refused(file('notpem.yaml', `tls: {certFile: ${certA.keyFile}, keyFile: ${certA.keyFile}}\n`), 'LAB_BAD_CONFIG', 'tls.certFile', 'not a PEM certificate');
});

test('TLS paths resolve relative to the config file and the pair is kept as one unit', async () => {
  const c = await loadConfig(file('tls.yaml', 'tls: {certFile: a.crt, keyFile: a.key}\n'), 1);
  assert.equal(c.tls?.cert, certA.cert);
  assert.equal(c.tls?.key, certA.key);
  assert.match(c.tls!.fingerprint256, /^[0-9A-F:]+$/);
});

test('store: failed reload keeps the running config; swap retires the old one only after its last lease', async () => {
  const p = file('store.yaml', 'slowDefaultMs: 100\n');
  const retired: number[] = [];
  const store = await ConfigStore.open(p, log, { retired: (v) => retired.push(v) });
  const v1 = store.current;
  const lease = store.acquire();

  writeFileSync(p, 'slowDefaultMs: -1\n');
  const bad = await store.reload('test');
  assert.equal(bad.result, 'failure');
  assert.equal(store.current, v1, 'same object, untouched');
  assert.equal(store.lastReload.result, 'failure');
  assert.match(store.lastReload.error!, /slowDefaultMs/);

  writeFileSync(p, 'slowDefaultMs: 200\n');
  const ok = await store.reload('test');
  assert.equal(ok.result, 'success');
  assert.equal(store.current.version, 2);
  assert.equal(lease.config.values.slowDefaultMs, 100, 'the lease keeps its snapshot');
  assert.equal(store.awaitingRetirement, 1);
  assert.deepEqual(retired, []);
  lease.release();
  lease.release(); // idempotent: must not retire twice or go negative
  assert.equal(store.awaitingRetirement, 0);
  assert.deepEqual(retired, [1]);

  assert.equal((await store.reload('test')).result, 'unchanged');
  assert.equal(store.current.version, 2);
});

test('store: overlapping reload calls coalesce into at most one follow-up', async () => {
  const p = file('burst.yaml', 'slowDefaultMs: 1\n');
  const outcomes: string[] = [];
  const store = await ConfigStore.open(p, log, { reload: (o) => outcomes.push(o.result) });
  writeFileSync(p, 'slowDefaultMs: 2\n');
  const all = await Promise.all(Array.from({ length: 20 }, () => store.reload('burst')));
  assert.ok(outcomes.length <= 2, `20 overlapping calls ran ${outcomes.length} reloads`);
  assert.equal(outcomes.filter((r) => r === 'success').length, 1);
  assert.ok(all.every((o) => o.version === 2));
});
