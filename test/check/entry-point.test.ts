import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isLabError } from '../../common/errors.js';
import { checkEntryPoint, describeEntryPoint } from '../../lab/tools/check/entry-point.js';
import { explainStartFailure, missingEnv } from '../../lab/tools/check/start-advice.js';
import { PodStartError, type StartFailureFacts } from '../../lab/targets/local/start-failure.js';

// A package script that calls a dependency's bin, laid out as `npm install json-server@0.17.4`
// lays it out (its package.json: "bin": "./lib/cli/bin.js", which starts with `#!/usr/bin/env node`;
// npm links node_modules/.bin/json-server → ../json-server/lib/cli/bin.js). The real package is
// run end to end by scripts/real-apps.sh and results/check/real-apps/.

let dir: string;

function appWithBin(name: string, opts: { installed: boolean; dangling?: boolean }): string {
  const app = join(dir, name);
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ scripts: { start: 'json-server --host 0.0.0.0 --port 3000 db.json' }, dependencies: { 'json-server': '0.17.4' } }));
  if (!opts.installed) return app;
  const pkg = join(app, 'node_modules', 'json-server', 'lib', 'cli');
  mkdirSync(pkg, { recursive: true });
  mkdirSync(join(app, 'node_modules', '.bin'));
  if (!opts.dangling) {
    writeFileSync(join(pkg, 'bin.js'), "#!/usr/bin/env node\nrequire('./index')()\n");
    chmodSync(join(pkg, 'bin.js'), 0o755);
  }
  symlinkSync('../json-server/lib/cli/bin.js', join(app, 'node_modules', '.bin', 'json-server'));
  return app;
}

const refused = (argv: string[], app: string, re: RegExp) => assert.throws(() => checkEntryPoint(argv, app, 'Deployment/api'),
  (e) => isLabError(e, 'LAB_NO_ENTRY_POINT') && re.test((e as Error).message));

before(() => { dir = mkdtempSync(join(tmpdir(), 'check-entry-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('check follows a package script into node_modules/.bin', () => {
  it('npm start → the script → the bin link → the package file, run by node (the PID 1 chain in the notes)', () => {
    const app = appWithBin('ok', { installed: true });
    const e = checkEntryPoint(['npm', 'start'], app, 'Deployment/api');
    assert.deepEqual(e.chain, [
      'npm start',
      'package.json scripts.start: json-server --host 0.0.0.0 --port 3000 db.json',
      'node_modules/.bin/json-server → node_modules/json-server/lib/cli/bin.js (run by node, from its #! line)',
    ]);
    assert.equal(describeEntryPoint('api', ['npm', 'start'], e),
      'Deployment/api: PID 1 runs `npm start` → package.json scripts.start: json-server --host 0.0.0.0 --port 3000 db.json → node_modules/.bin/json-server → node_modules/json-server/lib/cli/bin.js (run by node, from its #! line)');
    // behind a shell, through npx / npm exec, and by its path
    assert.match(checkEntryPoint(['sh', '-c', 'npm run start'], app, 'Deployment/api').chain.at(-1)!, /lib\/cli\/bin\.js/);
    assert.match(checkEntryPoint(['npx', 'json-server', 'db.json'], app, 'Deployment/api').chain.at(-1)!, /lib\/cli\/bin\.js/);
    assert.match(checkEntryPoint(['npm', 'exec', '--', 'json-server', 'db.json'], app, 'Deployment/api').chain.at(-1)!, /lib\/cli\/bin\.js/);
    assert.match(checkEntryPoint(['node_modules/.bin/json-server', 'db.json'], app, 'Deployment/api').chain[0]!, /→ node_modules\/json-server\/lib\/cli\/bin\.js \(run by node/);
  });

  it('a dependency declared but not installed: run npm install', () => {
    refused(['npm', 'start'], appWithBin('not-installed', { installed: false }), /runs json-server, which is not on this machine's PATH; package\.json declares json-server: run npm install in --app-dir/);
  });

  it('a bin link whose file is gone', () => {
    refused(['npm', 'start'], appWithBin('dangling', { installed: true, dangling: true }), /node_modules\/\.bin\/json-server in --app-dir .* points to a file that does not exist \(run npm install there\)/);
  });

  it('a bin named as the container command itself: the image has no node_modules/.bin on PATH', () => {
    refused(['json-server', 'db.json'], appWithBin('bare', { installed: true }), /it is in node_modules\/\.bin, which npm puts on PATH for package scripts but a container's command does not have/);
  });
});

describe('advice from the app\'s own output', () => {
  const facts = (excerpt: string[], envNames: string[] = []): StartFailureFacts => ({
    deployment: 'api', pod: 'api-1', logFile: '/x/api-1.log', exitCode: 1, exits: 2, excerpt, stream: 'stderr', seen: undefined, listening: [], envNames,
  });

  it('names a variable the manifest does not set, from the usual phrasings, and nothing else', () => {
    // @fastify/env (env-schema, ajv) and a hand-written check
    assert.deepEqual(missingEnv(facts(["Error: env must have required property 'DATABASE_URL'"])), ['DATABASE_URL']);
    assert.deepEqual(missingEnv(facts(['Error: Missing required environment variable: JWT_SECRET', '    at Object.<anonymous> (/app/index.js:2:17)'])), ['JWT_SECRET']);
    assert.deepEqual(missingEnv(facts(['Error: REDIS_URL is not set'], ['REDIS_URL'])), [], 'set in the manifest: not the problem');
    assert.deepEqual(missingEnv(facts(['Error: listen EADDRINUSE: address already in use 0.0.0.0:3000', 'TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string. Received undefined'])), []);
  });

  it('Cannot find module → the --app-dir / workingDir mapping; the code and the facts stay', () => {
    const err = new PodStartError('LAB_POD_CRASHLOOP', 'every pod exited', facts(["Error: Cannot find module '/srv/app/dist/main.js'"]));
    const out = explainStartFailure(err, { podsDir: join(dir, 'none'), network: 'netns', appDir: '/home/me/shop', workingDir: '/srv/app' });
    assert.ok(out instanceof PodStartError && out.code === 'LAB_POD_CRASHLOOP' && out.facts.excerpt.length === 1);
    assert.match(out.message, /^hint: Cannot find module '\/srv\/app\/dist\/main\.js': the app runs in --app-dir \/home\/me\/shop, which stands for the manifest's workingDir \/srv\/app/m);
  });

  it('EADDRINUSE in loopback mode → LAB_PORT_TAKEN with what the app must bind', () => {
    const err = new PodStartError('LAB_POD_CRASHLOOP', 'every pod exited', facts(['Error: listen EADDRINUSE: address already in use 0.0.0.0:3000']));
    const out = explainStartFailure(err, { podsDir: join(dir, 'none'), network: 'loopback', appDir: '/a', workingDir: undefined });
    assert.ok(isLabError(out, 'LAB_PORT_TAKEN'));
    assert.match((out as Error).message, /every pod exited\nA pod log shows EADDRINUSE: .*process\.env\.HOST/);
  });
});
