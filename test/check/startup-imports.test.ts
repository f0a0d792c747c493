import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/proc.js';

// issue 26 §2: check's first pod starts within 1 s of the command, so what check loads before it
// starts pods is only what starting them needs. A resolve hook in a real node process records every
// module that importing check's entry loads; undici (the load generator, the ingress), doctor's rules
// and the report's SVG/evidence modules are loaded later, with import() of a literal path, and the
// local cluster itself while the plan waits for its pod-user probe.

test("check's entry loads neither undici nor doctor's rules nor the report's modules before the pods start", () => {
  const dir = mkdtempSync(join(tmpdir(), 'startup-imports-'));
  try {
    writeFileSync(join(dir, 'hooks.mjs'), "export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write(`LOADED ${r.url}\\n`); return r; }\n");
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    const entry = pathToFileURL(join(ROOT, 'dist/lab/tools/check/main.js')).href;
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', `await import(${JSON.stringify(entry)});`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const loaded = [...r.stderr.matchAll(/^LOADED (.*)$/gm)].map((m) => m[1]!);
    // the hook sees the imports: the planner and its pod-user probe are there
    assert.ok(loaded.some((u) => u.endsWith('/lab/tools/check/local-setup.js')), loaded.join('\n'));
    assert.ok(loaded.some((u) => u.endsWith('/lab/targets/local/pod-user.js')), loaded.join('\n'));
    // the local cluster loads while the plan's access probe runs (an import() in measure), not before the plan
    assert.ok(!loaded.some((u) => u.endsWith('/lab/targets/local/cluster.js')), 'the local cluster is imported with the plan under way');
    // doctor's idle-timeout table is data the keep-alive probe compares against, not a rule
    const early = loaded.filter((u) => /\/node_modules\/undici\/|\/lab\/tools\/doctor\/(?!idle-timeouts\.js$)|\/lab\/report\/(svg|evidence)|\/loadtest\/generator\.js$/.test(u));
    assert.deepEqual(early, [], 'loaded before the first pod although only needed after it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
