import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitInFlight } from '../helpers/wait.js';
import { get, type Res } from './client.js';
import { startService, type RunningService } from './service.js';

const running: RunningService[] = [];
after(async () => { await Promise.all(running.map((s) => s.stop())); });
async function service(...args: Parameters<typeof startService>): Promise<RunningService> {
  const s = await startService(...args);
  running.push(s);
  return s;
}

const GOOD = 'slowDefaultMs: 50\nrateLimit: {perClientPerSecond: 0}\nblocklist: [127.0.0.9]\n';

test('every bad config is refused on reload: running config, behaviour and /readyz untouched', async () => {
  const s = await service({ 'config.yaml': GOOD });
  const before = await s.config();
  assert.equal(before.version, 1);
  const blocked = await get(`${s.base}/fast`, { localAddress: '127.0.0.9' });
  assert.equal(blocked.status, 403, 'blocklist in effect before');
  assert.equal(blocked.body.error, 'LAB_BLOCKED');

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['syntax', { 'config.yaml': 'slowDefaultMs: [50,\n' }, /\(syntax\)/],
    ['schema (unknown key)', { 'config.yaml': GOOD + 'blockList: []\n' }, /blockList: unknown key/],
    ['negative value', { 'config.yaml': 'slowDefaultMs: -1\nblocklist: []\n' }, /slowDefaultMs: -1 is out of range/],
    ['malformed CIDR', { 'config.yaml': 'blocklist: [127.0.0.10, 127.0.0.0/40]\n' }, /blocklist\[1\]: "127.0.0.0\/40"/],
    // A ConfigMap key removed from the volume: CONFIG_FILE's link now points at nothing.
    ['unreadable file', { 'other.yaml': GOOD }, /cannot read .*config\.yaml \(ENOENT\)/],
  ];
  for (const [i, [name, files, error]] of bad.entries()) {
    await s.publish(files);
    await s.nth('config-reload-failed', i + 1);
    const now = await s.config();
    assert.equal(now.version, 1, `${name}: version unchanged`);
    assert.equal(now.checksum, before.checksum, `${name}: checksum unchanged`);
    assert.equal(now.lastReload.result, 'failure', name);
    assert.match(now.lastReload.error, /LAB_BAD_CONFIG/, name);
    assert.match(now.lastReload.error, error, name);
    assert.equal((await get(`${s.base}/fast`, { localAddress: '127.0.0.9' })).status, 403, `${name}: old blocklist still applied`);
    assert.equal((await get(`${s.base}/fast`, { localAddress: '127.0.0.10' })).status, 200, `${name}: nothing half-applied`);
    assert.equal((await get(`${s.base}/readyz`)).status, 200, `${name}: /readyz healthy`);
  }
  // Putting the original back is recognised by its checksum: no swap, no new version.
  await s.publish({ 'config.yaml': GOOD });
  await s.nth('config-unchanged', 1);
  assert.equal(s.count('config-swapped'), 0, 'no bad or identical input ever swapped');
  const metrics = (await get(`${s.base}/metrics`)).body as string;
  assert.match(metrics, /lab_config_reloads_total\{result="failure"\} 5/);
  assert.match(metrics, /lab_config_active_version 1/);
});

test('in-flight requests finish on the config they started with; the old config retires after them', async () => {
  // 3 s: the reload below has that long to land while the /slow runs, however loaded the machine.
  const s = await service({ 'config.yaml': 'slowDefaultMs: 3000\nblocklist: []\n' });
  const t0 = performance.now();
  const inflight = get(`${s.base}/slow`, { localAddress: '127.0.0.20' });
  await waitInFlight(s.base, 1); // the /slow holds v1 before v2 is published
  await s.publish({ 'config.yaml': 'slowDefaultMs: 20\nblocklist: [127.0.0.20]\n' });
  await s.nth('config-swapped', 1);
  const mid = await s.config();
  assert.equal(mid.version, 2);
  assert.equal(mid.awaitingRetirement, 1, 'v1 is still held by the in-flight /slow');
  assert.equal(s.count('config-retired'), 0);

  assert.equal((await get(`${s.base}/fast`, { localAddress: '127.0.0.20' })).status, 403, 'new requests see the new blocklist');
  const fresh = await get(`${s.base}/slow`, { localAddress: '127.0.0.21' });
  assert.equal(fresh.status, 200);
  assert.ok(fresh.ms < 1000, `new /slow uses the new default (took ${fresh.ms.toFixed(0)} ms)`);

  const old = await inflight;
  assert.equal(old.status, 200, 'the in-flight request was not blocked by the config that arrived during it');
  assert.ok(performance.now() - t0 >= 2900, 'it slept its own snapshot\'s 3000 ms default');
  const retired = await s.nth('config-retired', 1);
  assert.equal(retired.version, 1);
  assert.equal((await s.config()).awaitingRetirement, 0);
});

test('a burst of 20 SIGHUPs gives one reload', async () => {
  const s = await service({ 'config.yaml': 'slowDefaultMs: 10\n' }, { env: { CONFIG_DEBOUNCE_MS: '200' } });
  await s.publish({ 'config.yaml': 'slowDefaultMs: 11\n' });
  await s.nth('config-swapped', 1);
  for (let i = 0; i < 20; i++) process.kill(s.proc.child.pid!, 'SIGHUP');
  await s.nth('config-reload-triggered', 2);
  await s.nth('config-unchanged', 1);
  assert.equal((await s.config()).lastReload.trigger, 'SIGHUP');
  // A fence, not a pause: every SIGHUP was sent before this publish, so a second reload from the
  // burst would log its trigger before the fence's (or share the fence's, as "SIGHUP+..data").
  await s.publish({ 'config.yaml': 'slowDefaultMs: 12\n' });
  await s.nth('config-swapped', 2);
  const triggers = s.proc.lines.filter((l) => typeof l === 'object' && l.event === 'config-reload-triggered').map((l) => (l as Record<string, any>).trigger);
  assert.deepEqual(triggers, ['..data', 'SIGHUP', '..data'], 'one for the publish, one for the whole burst, one for the fence');
  assert.equal(s.count('config-unchanged'), 1);
  assert.equal(s.proc.child.exitCode, null, 'SIGHUP does not kill the service');
});

test('rate limit: 429 + Retry-After per client, probes exempt; a reload to 0 turns it off', async () => {
  const s = await service({ 'config.yaml': 'rateLimit: {perClientPerSecond: 5}\n' });
  // 12 requests at once: they meet the bucket together, not spread over however long 12 requests
  // in a row take on a loaded machine (the bucket refills 5 tokens a second meanwhile).
  const burst = (ip: string, path = '/fast') => Promise.all(Array.from({ length: 12 }, () => get(`${s.base}${path}`, { localAddress: ip })));
  const statuses = (rs: Res[]) => rs.map((r) => r.status);
  const a = await burst('127.0.0.30');
  assert.ok(statuses(a).filter((x) => x === 200).length >= 5, `the bucket's 5 tokens are served (${statuses(a)})`);
  assert.ok(statuses(a).filter((x) => x === 429).length >= 4, `the rest are limited (${statuses(a)})`);
  const limited = a.find((r) => r.status === 429)!;
  assert.ok(Number(limited.headers['retry-after']) >= 1, 'Retry-After in whole seconds');
  assert.equal(limited.body.error, 'LAB_RATE_LIMITED');
  assert.equal((await get(`${s.base}/fast`, { localAddress: '127.0.0.31' })).status, 200, 'another client has its own bucket');
  assert.deepEqual([...new Set(statuses(await burst('127.0.0.30', '/readyz')))], [200], 'probes are never limited');

  await s.publish({ 'config.yaml': 'rateLimit: {perClientPerSecond: 0}\n' });
  await s.nth('config-swapped', 1);
  assert.deepEqual([...new Set(statuses(await burst('127.0.0.30')))], [200], '0 turns the limit off without a restart');
});
