import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLabError } from '../../common/errors.js';
import { assemble } from '../../service/config/load.js';
import { ParserThread } from '../../service/config/parser.js';
import { parseReloadArgs } from '../../lab/experiments/reload-vs-restart/options.js';
import { makeCert } from './certs.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-parser-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the parser thread returns parts that assemble into a working config, and revives LabError codes', async () => {
  const parser = new ParserThread(20_000);
  try {
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, 'slowDefaultMs: 5\nblocklist: [10.0.0.0/8, "2001:db8::/32"]\n');
    const config = assemble(7, await parser.parse(ok));
    assert.equal(config.version, 7);
    assert.equal(config.values.slowDefaultMs, 5);
    assert.equal(config.isBlocked('10.9.9.9'), true, 'the index survived postMessage');
    assert.equal(config.isBlocked('2001:db8:1::1'), true);
    assert.equal(config.isBlocked('11.0.0.1'), false);

    const a = makeCert(dir, 'a');
    const b = makeCert(dir, 'b');
    const mismatch = join(dir, 'mismatch.yaml');
    writeFileSync(mismatch, `tls: {certFile: ${a.certFile}, keyFile: ${b.keyFile}}\n`);
    await assert.rejects(parser.parse(mismatch), (e: unknown) => isLabError(e, 'LAB_TLS_MISMATCH') && (e as Error).message.includes(mismatch));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'blocklist: [1.2.3.4/99]\n');
    await assert.rejects(parser.parse(bad), (e: unknown) => isLabError(e, 'LAB_BAD_CONFIG') && /blocklist\[0\]/.test((e as Error).message)
      && !/LAB_BAD_CONFIG: invalid configuration file: LAB_BAD_CONFIG/.test((e as Error).message));
  } finally {
    await parser.close();
  }
  await assert.rejects(parser.parse(join(dir, 'ok.yaml')), /shutting down/, 'a closed parser refuses work instead of hanging');
});

test('reload-vs-restart options: every bad value is refused with LAB_BAD_OPTION naming it', () => {
  assert.deepEqual(parseReloadArgs(['--rate', '50', '--deploys=2', '--target', 'local', '--no-tls']), { changes: 2, minWindowMs: 5000, tls: false, help: false, rate: 50 });
  for (const [argv, mention] of [
    [['--rate', '0'], '--rate'], [['--rate', 'x'], '--rate'], [['--changes', '11'], '--changes'], [['--target', 'kind'], '--target must be one of local'],
    [['--reps', '3'], '--reps 3 is out of range 1..1'], [['--bogus'], '"--bogus"'], [['--min-window-ms', '10'], '--min-window-ms'], [['--results-dir'], '--results-dir'],
  ] as const) {
    assert.throws(() => parseReloadArgs([...argv]), (e: unknown) => isLabError(e, 'LAB_BAD_OPTION') && (e as Error).message.includes(mention), argv.join(' '));
  }
});
