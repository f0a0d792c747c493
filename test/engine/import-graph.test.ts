import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../helpers/proc.js';

const graph = (args: string[]) => spawnSync(process.execPath, ['dist/scripts/import-graph.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

test('lab/ has no import cycle, no computed import(), and no deployable code imports it', () => {
  const r = graph(['--dirs']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^lab\/engine → .*lab\/report/m);
  assert.match(r.stdout, /0 cycle\(s\), 0 computed import\(s\), 0 deployable→lab import\(s\)/);
});

test('the check fails on a cycle, a computed import() and worker/ importing lab/, naming each', () => {
  const repo = mkdtempSync(join(tmpdir(), 'import-graph-'));
  const file = (p: string, text: string) => { mkdirSync(dirname(join(repo, p)), { recursive: true }); writeFileSync(join(repo, p), text); };
  try {
    file('lab/a.ts', "import { b } from './b.js';\nexport const a = 1;\n");
    file('lab/b.ts', "import { a } from './a.js';\nexport const b = a;\n");
    file('lab/c.ts', "const name = './a.js';\nexport const c = await import(name);\nexport const d = await import('./b.js');\n");
    file('worker/w.ts', "import type { b } from '../lab/b.js';\n");
    const r = graph(['--repo', repo]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /CYCLE: lab\/a\.ts → lab\/b\.ts → lab\/a\.ts/);
    assert.match(r.stdout, /COMPUTED IMPORT: lab\/c\.ts: import\(name\)/);
    assert.doesNotMatch(r.stdout, /COMPUTED IMPORT: .*'\.\/b\.js'/, 'a literal import() is an edge, not a computed import');
    assert.match(r.stdout, /lab\/c\.ts → lab\/b\.ts/);
    assert.match(r.stdout, /DEPLOYABLE IMPORTS LAB: worker\/w\.ts → lab\/b\.ts/);
    const bad = graph(['--frobnicate']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /LAB_BAD_OPTION: .*unknown option "--frobnicate"; valid options are --repo, --dirs, --help/);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
