// "Prose never types a measured figure": every doc's measured-looking numbers sit in generated blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';
import { ALLOWED, docFiles, scanDoc, scanDocs } from '../../lab/report/figure-scan.js';
import { blockBegin, blockEnd, updateDocBlocks } from '../../lab/report/doc-blocks.js';

test('no doc holds a measured figure outside a generated block', () => {
  const offenders = scanDocs(ROOT);
  assert.deepEqual(offenders.map((h) => `${h.file}:${h.line} [${h.rule}] ${h.text} | ${h.context}`), []);
  assert.ok(docFiles(ROOT).length >= 10, 'README and docs/*.md are scanned');
});

test('every allow-list entry is needed: it is in its doc, covers a figure the rules flag, and says why', () => {
  for (const a of ALLOWED) {
    const text = readFileSync(join(ROOT, a.file), 'utf8');
    assert.ok(typeof a.text === 'string' ? text.includes(a.text) : a.text.test(text), `${a.file}: "${a.text}" is not in the doc any more`);
    const without = scanDoc(a.file, text, ALLOWED.filter((x) => x !== a)).length;
    assert.ok(without > scanDoc(a.file, text).length, `${a.file}: "${a.text}" covers nothing the rules flag: remove it`);
    assert.ok(a.reason.length > 10, `${a.file}: "${a.text}" needs a reason`);
  }
});

test('the scanner finds the figures the issue names, and none in code, comments or generated blocks', () => {
  const doc = [
    'Failures went *up* (578 → 1598 in the whole run: 522 refused, 570 × 502), on a machine at load average ≈ 22.',
    'The ladder line names commit c801d88; 36–86 handshakes/s; a 31 s window; 681 [584–830] failed.',
    'README quotes check\'s 41 × 502 and 6 SIGKILLs, and "load average 3–6" on 2026-11-21.',
    '```', 'refused 522 → 0', '```',
    'Inline `--rate 200 req/s` and <!-- 15 SIGKILLs --> are not prose.',
    `${blockBegin('x')}`, '612 × 502 and 9.88 % inside a block', blockEnd('x'),
  ].join('\n');
  const texts = scanDoc('docs/example.md', doc).map((h) => h.text);
  for (const want of ['578 → 1598', '522 refused', '570 × 502', 'load average ≈ 22', 'c801d88', '36–86 handshakes/s', '31 s', '[584–830]', '41 × 502', '6 SIGKILLs', 'load average 3', '2026-11-21']) {
    assert.ok(texts.some((x) => x.includes(want)), `missed "${want}" in ${JSON.stringify(texts)}`);
  }
  for (const not of ['200', '15 SIGKILLs', '612', '9.88']) assert.ok(!texts.some((x) => x.includes(not)), `flagged "${not}"`);
  // an allow-list entry covers exactly its text, with its reason
  const allowed = scanDoc('docs/example.md', 'A jitter of 500 ms here and 40 resets.', [{ file: 'docs/example.md', text: 'jitter of 500 ms', reason: 'a configured value' }]);
  assert.deepEqual(allowed.map((h) => h.text), ['40 resets']);
});

test('a doc naming a block no generator makes is refused with LAB_UNKNOWN_BLOCK and left unchanged', () => {
  const root = mkdtempSync(join(tmpdir(), 'doc-blocks-'));
  try {
    mkdirSync(join(root, 'docs'));
    const text = `# x\n\n${blockBegin('known')}\nold\n${blockEnd('known')}\n\n${blockBegin('nobody')}\nkept\n${blockEnd('nobody')}\n`;
    writeFileSync(join(root, 'docs/a.md'), text);
    assert.throws(() => updateDocBlocks(root, 'docs/a.md', join(root, 'results'), { known: () => 'new' }), /LAB_UNKNOWN_BLOCK.*nobody/);
    assert.equal(readFileSync(join(root, 'docs/a.md'), 'utf8'), text);
    assert.deepEqual(updateDocBlocks(root, 'docs/a.md', join(root, 'results'), { known: () => 'new', nobody: (c) => c.link('x/table.md') }), ['known', 'nobody']);
    const out = readFileSync(join(root, 'docs/a.md'), 'utf8');
    assert.match(out, /generated:known[^\n]*\nnew\n/);
    assert.match(out, /generated:nobody[^\n]*\n\.\.\/results\/x\/table\.md\n/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
