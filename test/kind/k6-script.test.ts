import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { classifyK6 } from '../../loadtest/classes.js';
import { CLASSES } from '../../loadtest/classes.js';
import { ROOT } from '../helpers/proc.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

describe('k6 script', () => {
  it('type-checks against @types/k6 (npm run typecheck:k6)', { skip: !existsSync(TSC) && 'typescript is not installed' }, () => {
    const r = spawnSync(process.execPath, [TSC, '-p', 'loadtest/k6/tsconfig.json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('the type-check is live: a wrong k6 call fails it', { skip: !existsSync(TSC) && 'typescript is not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'k6-check-'));
    try {
      for (const f of ['classify.js', 'k6-console.d.ts']) copyFileSync(join(ROOT, 'loadtest/k6', f), join(dir, f));
      const script = readFileSync(join(ROOT, 'loadtest/k6/script.js'), 'utf8').replace('res.error_code', 'res.errorCode');
      assert.ok(script.includes('res.errorCode'));
      writeFileSync(join(dir, 'script.js'), script);
      const cfg = JSON.parse(readFileSync(join(ROOT, 'loadtest/k6/tsconfig.json'), 'utf8'));
      cfg.compilerOptions.typeRoots = [join(ROOT, 'node_modules/@types')];
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(cfg));
      const r = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8', timeout: 120_000 });
      assert.notEqual(r.status, 0);
      assert.match(r.stdout, /script\.js\(\d+,\d+\): error TS2551: Property 'errorCode' does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('classifies exactly like loadtest/classes.ts classifyK6', async () => {
    const js = await import(pathToFileURL(join(ROOT, 'loadtest/k6/classify.js')).href);
    assert.deepEqual([...js.CLASSES], [...CLASSES]);
    // [error_code, status, class]: responses by status, transport failures by k6 error code.
    const table: Array<[number, number, string]> = [
      [0, 200, 'ok'], [0, 202, 'ok'], [1502, 502, 'http_502'], [1503, 503, 'http_503'], [1500, 500, 'http_5xx_other'],
      [1504, 504, 'http_5xx_other'], [1404, 404, 'other'], [1212, 0, 'refused'], [1220, 0, 'reset'], [1201, 0, 'reset'],
      [1000, 0, 'reset'], [1050, 0, 'timeout'], [1211, 0, 'timeout'], [1210, 0, 'timeout'], [1213, 0, 'timeout'], [1101, 0, 'other'], [1020, 0, 'other'],
    ];
    for (const [code, status, want] of table) {
      assert.equal(classifyK6(code, status), want, `ts ${code}/${status}`);
      assert.equal(js.classifyK6(code, status), want, `js ${code}/${status}`);
    }
  });

  it('defines a threshold (hence a summary sub-metric) for every class × phase × path', () => {
    const src = readFileSync(join(ROOT, 'loadtest/k6/script.js'), 'utf8');
    assert.match(src, /thresholds\[`lab_requests\{class:\$\{cls\},phase:\$\{phase\},path:\$\{path\}\}`\]/);
    assert.match(src, /executor: 'constant-arrival-rate'/);
    assert.match(src, /noConnectionReuse: !KEEP_ALIVE/);
    assert.match(src, /LAB_K6_SUMMARY_BEGIN/);
  });
});
