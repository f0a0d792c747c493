// Regenerating the report over the stored runs changes nothing: every table, chart, write-up and
// generated doc block in the repository is what the report makes of results/ (only its stamp differs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from '../helpers/proc.js';
import { regenerateReport } from '../../lab/report/index.js';

/** The one line allowed to differ: results/README.md's "last: <time>". */
const STAMP = /\(last: [^)]*\)/g;
const TEXT = /\.(md|csv|json|svg)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : TEXT.test(name) ? [p] : [];
  });
}

test('the report over a copy of the stored runs rewrites every file exactly as committed', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'report-regen-'));
  try {
    cpSync(join(ROOT, 'results'), join(root, 'results'), { recursive: true });
    cpSync(join(ROOT, 'docs'), join(root, 'docs'), { recursive: true });
    cpSync(join(ROOT, 'README.md'), join(root, 'README.md'));
    regenerateReport(join(root, 'results'), () => {}, { docsRoot: root });
    const changed: string[] = [];
    for (const copy of [...files(join(root, 'results')), ...files(join(root, 'docs')), join(root, 'README.md')]) {
      const rel = relative(root, copy);
      const a = readFileSync(join(ROOT, rel), 'utf8').replace(STAMP, '(last: …)');
      const b = readFileSync(copy, 'utf8').replace(STAMP, '(last: …)');
      if (a !== b) changed.push(rel);
    }
    assert.deepEqual(changed, [], 'regenerate with `npm run lab -- report` and commit the result');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
