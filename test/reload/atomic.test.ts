import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { writeConfigMapDir, writeInPlace } from '../../lab/experiments/reload-vs-restart/configmap.js';
import { startService, type RunningService } from './service.js';
import { sleep, waitUntil } from '../helpers/wait.js';

const running: RunningService[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(running.map((s) => s.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ~200 KB of YAML: large enough that writing it takes many write(2) calls.
function bigConfig(n: number, seed: number): string {
  const lines = ['slowDefaultMs: ' + (100 + seed), 'blocklist:'];
  for (let i = 0; i < n; i++) lines.push(`  - 10.${seed % 250}.${(i >> 8) & 255}.${i & 255}`);
  return lines.join('\n') + '\n';
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/**
 * What a naive reloader does: watch the file and read it on every event. Returns every read it
 * made that was neither the old nor the new complete content.
 */
function naiveReader(file: string, complete: Set<string>, watched = file): { partial: string[]; reads: number; seen: Set<string>; close(): void } {
  const partial: string[] = [];
  const seen = new Set<string>(); // checksums of the complete versions it read
  let reads = 0;
  const w = watch(watched, () => {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch { return; }
    reads++;
    if (complete.has(sha(text))) seen.add(sha(text));
    else {
      let parses = true;
      try { parse(text); } catch { parses = false; }
      partial.push(`${text.length} bytes, ${parses ? 'parses (silently wrong)' : 'does not parse'}`);
    }
  });
  return { partial, seen, get reads() { return reads; }, close: () => w.close() };
}

test('naive in-place write: a file watcher reads the file half-written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-naive-'));
  dirs.push(dir);
  const file = join(dir, 'config.yaml');
  const v1 = bigConfig(12_000, 1);
  const v2 = bigConfig(12_000, 2);
  writeFileSync(file, v1);
  const reader = naiveReader(file, new Set([sha(v1), sha(v2)]));
  await writeInPlace(file, v2, 4096, 2);
  // The event after the last write makes the reader read all of v2: every earlier event was handled by then.
  await waitUntil('the watcher read the finished file', () => reader.seen.has(sha(v2)));
  reader.close();
  assert.equal(readFileSync(file, 'utf8'), v2, 'the write itself completed');
  assert.ok(reader.partial.length > 0, `expected partial reads; ${reader.reads} reads were all complete`);
  console.log(`# naive: ${reader.reads} reads, ${reader.partial.length} partial, e.g. ${reader.partial[0]}`);
});

test('ConfigMap ..data swap: neither a reader nor the service ever sees a partial file', async () => {
  const s = await startService({ 'config.yaml': bigConfig(12_000, 1) });
  running.push(s);
  const versions = [2, 3, 4, 5, 6].map((seed) => bigConfig(12_000, seed));
  const visible = join(s.configDir, 'config.yaml');
  // Reads the visible path on every event in the directory, i.e. also mid-update (while the new
  // timestamped directory is being written, at ..data_tmp): still only complete versions.
  const reader = naiveReader(visible, new Set([sha(bigConfig(12_000, 1)), ...versions.map(sha)]), s.configDir);
  const seen: string[] = [];
  for (const v of versions) {
    await writeConfigMapDir(s.configDir, { 'config.yaml': v });
    seen.push(sha(readFileSync(visible, 'utf8')));
    await sleep(30); // pacing: updates land while the service is reloading an earlier one
  }
  reader.close();
  const last = versions.at(-1)!;
  // The service's own word that it swapped in the last version (or that a reload failed), not a
  // deadline on /config: parsing 200 KB on the parser thread takes seconds on a loaded machine.
  const outcome = await s.proc.waitFor((l) => (l.event === 'config-swapped' && l.checksum === sha(last)) || l.event === 'config-reload-failed', 30_000);
  assert.equal(outcome.event, 'config-swapped', `a reload failed: ${JSON.stringify(outcome)}`);
  const cfg = await s.config();
  assert.equal(cfg.checksum, sha(last), 'the service ends on the last complete file');
  assert.equal(cfg.values.blocklistEntries, 12_000);
  assert.equal(s.count('config-reload-failed'), 0, 'no reload ever read a partial file');
  assert.deepEqual(seen, versions.map(sha), 'every read through the visible link was a complete version');
  assert.ok(reader.reads > 0, 'the directory reader did read during the updates');
  assert.deepEqual(reader.partial, []);
});
