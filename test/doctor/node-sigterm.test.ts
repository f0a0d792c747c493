// node as PID 1 (node-sigterm.ts) on microservices-demo's node services (test/fixtures/real/microservices-demo,
// GoogleCloudPlatform/microservices-demo at the commit in its source.json): their sources never listen for
// SIGTERM, so the pid1 finding is an error and the preStop finding is info; a listener anywhere in the
// app's own modules, a dependency known to add one, or a module the doctor cannot read leaves it unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctor, type DoctorReport } from '../../lab/tools/doctor/index.js';
import { ROOT } from '../helpers/proc.js';
import { byId } from './fixtures.js';

const DEMO = join(ROOT, 'test/fixtures/real/microservices-demo');
const run = (service: string, context = join(DEMO, 'src', service)) =>
  runDoctor({ paths: [join(DEMO, 'kubernetes-manifests', `${service}.yaml`)], dockerfile: join(context, 'Dockerfile') });
const pid1 = (r: DoctorReport) => r.findings.filter((f) => f.id.startsWith('pid1-')).map((f) => `${f.id} ${f.severity}`);

test('currencyservice and paymentservice: node is PID 1 and the app never listens for SIGTERM: pid1-no-sigterm-handler, and the preStop finding is info', async () => {
  for (const [service, modules] of [['currencyservice', /node runs server\.js as PID 1; it does not listen/], ['paymentservice', /node runs index\.js as PID 1; neither it nor the 3 module\(s\) of the app it requires \(logger\.js, server\.js, charge\.js\)/]] as const) {
    const r = await run(service);
    const [f] = byId(r, 'pid1-no-sigterm-handler');
    assert.equal(f?.severity, 'error', service);
    assert.match(f!.why, modules);
    assert.equal(byId(r, 'readiness-prestop-missing')[0]?.severity, 'info', service);
  }
});

test('a SIGTERM listener in any module of the app, a dependency known to add one, or a module not in the build context: unknown (info)', async () => {
  const variants: [string, (dir: string) => void][] = [
    ['listener in a required module', (d) => appendFileSync(join(d, 'charge.js'), "\nprocess.on('SIGTERM', () => process.exit(0));\n")],
    ['terminus dependency', (d) => {
      const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8'));
      pkg.dependencies['@godaddy/terminus'] = '^4.12.1';
      writeFileSync(join(d, 'package.json'), JSON.stringify(pkg));
    }],
    ['missing module', (d) => unlinkSync(join(d, 'logger.js'))],
  ];
  for (const [label, change] of variants) {
    const dir = mkdtempSync(join(tmpdir(), 'node-sigterm-'));
    try {
      cpSync(join(DEMO, 'src/paymentservice'), dir, { recursive: true });
      change(dir);
      const r = await run('paymentservice', dir);
      assert.deepEqual(pid1(r), ['pid1-sigterm-unknown info'], label);
      assert.equal(byId(r, 'readiness-prestop-missing')[0]?.severity, 'error', label);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
