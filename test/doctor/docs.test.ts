// docs/doctor.md's tables come from data: the rule catalogue and its parity with generic linters, the
// --lb profiles, and every error code doctor can exit 2 with. Regenerate: node dist/lab/tools/doctor/docs-tables.js --write
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../../lab/tools/doctor/index.js';
import { DOCTOR_ERROR_CODES, renderDoc } from '../../lab/tools/doctor/docs-tables.js';
import { PARITY } from '../../lab/tools/doctor/parity.js';
import { ROOT } from '../helpers/proc.js';

const doc = () => readFileSync(join(ROOT, 'docs/doctor.md'), 'utf8');

test('docs/doctor.md holds the generated tables as they are now', () => {
  assert.equal(doc(), renderDoc(doc()), 'stale: run node dist/lab/tools/doctor/docs-tables.js --write');
  for (const id of Object.keys(RULES)) assert.match(doc(), new RegExp(`^\\| \`${id}\` \\|`, 'm'), id);
  assert.deepEqual(Object.keys(PARITY).sort(), Object.keys(RULES).sort(), 'a parity entry per rule');
  for (const code of ['LAB_BAD_MANIFEST', 'LAB_NO_DOCUMENTS', 'LAB_YAML_ALIASES', 'LAB_HELM_TEMPLATE']) assert.match(doc(), new RegExp(`\\| \`${code}\` \\|`));
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : f.endsWith('.ts') ? [p] : [];
  });
}

test('the listed codes are exactly the codes doctor\'s sources throw', () => {
  const thrown = new Set<string>();
  for (const file of sources(join(ROOT, 'lab/tools/doctor'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/LabError\('(LAB_[A-Z_]+)'/g)) thrown.add(m[1]!);
  }
  thrown.add('LAB_BAD_OPTION'); // the option parser doctor's main.ts uses (lab/engine/args.ts)
  assert.deepEqual([...thrown].sort(), [...DOCTOR_ERROR_CODES].sort());
});
