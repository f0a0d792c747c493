import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shapeOf, shellStaysPid1 } from '../../lab/tools/doctor/command.js';
import { byId, container, deployment, doctorOn, env, ids, writeTemp, yamlOf } from './fixtures.js';
import { applyFindings, readObjects } from './patcher.js';
import { runDoctor } from '../../lab/tools/doctor/index.js';

const run = (c: Record<string, any>, opts = {}) => doctorOn([deployment('app', c)], opts);

test('pid1-shell-wrapper: sh -c without exec is found; exec form and `exec` in the script are not', async () => {
  const bad = await run(container({ command: ['/bin/sh', '-c', 'node server.js'] }));
  const [f] = byId(bad, 'pid1-shell-wrapper');
  assert.ok(f, ids(bad).join());
  assert.equal(f.severity, 'error');
  assert.equal(f.object, 'Deployment/app');
  assert.equal(f.path, 'spec.template.spec.containers[0].command');
  assert.match(f.fix, /\["node","server\.js"\]/);
  assert.deepEqual(byId(await run(container({ command: ['/bin/sh', '-c', 'cd /app && exec node server.js'] })), 'pid1-shell-wrapper'), []);
  assert.deepEqual(byId(await run(container()), 'pid1-shell-wrapper'), []);
});

test('pid1-package-manager: npm/yarn/pnpm start is found, also behind sh -c; node is not', async () => {
  for (const command of [['npm', 'start'], ['yarn', 'start'], ['pnpm', 'run', 'serve'], ['sh', '-c', 'npm start']]) {
    assert.equal(byId(await run(container({ command })), 'pid1-package-manager').length, 1, command.join(' '));
  }
  assert.deepEqual(byId(await run(container({ command: ['node', 'server.js'] })), 'pid1-package-manager'), []);
});

test('pid1-dockerfile-shell-form: shell-form CMD/ENTRYPOINT of the final stage is found, with its line; exec form is not', async () => {
  const bad = writeTemp('Dockerfile', 'FROM node:20 AS build\nCMD ["node", "x.js"]\nFROM node:20-slim\n# run it\nCMD node \\\n  server.js\n');
  const good = writeTemp('Dockerfile', 'FROM node:20-slim\nCMD node server.js\nFROM node:20-slim\nENTRYPOINT ["tini", "--"]\nCMD ["node", "server.js"]\n');
  try {
    const noCommand = container({ command: undefined });
    const r = await run(noCommand, { dockerfile: bad.file });
    const [f] = byId(r, 'pid1-dockerfile-shell-form');
    assert.ok(f, ids(r).join());
    assert.equal(f.file, bad.file);
    assert.equal(f.path, 'CMD (line 5)');
    assert.deepEqual(byId(await run(noCommand, { dockerfile: good.file }), 'pid1-dockerfile-shell-form'), []);
    // with tini as ENTRYPOINT the image's command is covered: no "cannot know" either
    assert.deepEqual(byId(await run(noCommand, { dockerfile: good.file }), 'pid1-sigterm-unknown'), []);
  } finally {
    bad.cleanup();
    good.cleanup();
  }
});

test('pid1-no-sigterm-handler: the lab app without pid1 in LAB_FIXES is found; with it, not', async () => {
  const lab = (fixes: string) => container({ command: ['node', 'dist/service/main.js'], env: env({ LAB_FIXES: fixes }) });
  const [f] = byId(await run(lab('readiness,drain')), 'pid1-no-sigterm-handler');
  assert.ok(f);
  assert.match(f.why, /LAB_FIXES lacks pid1/);
  assert.deepEqual(byId(await run(lab('pid1')), 'pid1-no-sigterm-handler'), []);
  assert.deepEqual(byId(await run(lab('all')), 'pid1-sigterm-unknown'), []);
});

test('pid1-sigterm-unknown: an unknown program as PID 1 is an info that says it cannot know; an init or a known server is not', async () => {
  const [f] = byId(await run(container()), 'pid1-sigterm-unknown');
  assert.ok(f);
  assert.equal(f.severity, 'info');
  assert.match(f.why, /cannot tell whether node handles SIGTERM/);
  const [img] = byId(await run(container({ command: undefined })), 'pid1-sigterm-unknown');
  assert.match(img!.why, /pass --dockerfile/);
  assert.deepEqual(byId(await run(container({ command: ['tini', '--', 'node', 'server.js'] })), 'pid1-sigterm-unknown'), []);
  assert.deepEqual(byId(await run(container({ command: ['redis-server'] })), 'pid1-sigterm-unknown'), []);
});

// ---- PID 1 from the Dockerfile (issue 22 item 3) ----

/** A build context: Dockerfile plus the files beside it, as `docker build .` sees them. */
function context(files: Record<string, string>): { dockerfile: string; cleanup: () => void } {
  const t = writeTemp('Dockerfile', files.Dockerfile!);
  for (const [name, text] of Object.entries(files)) if (name !== 'Dockerfile') writeFileSync(join(t.dir, name), text);
  return { dockerfile: t.file, cleanup: t.cleanup };
}

async function onImage(files: Record<string, string>, c: Record<string, any> = container({ command: undefined })) {
  const ctx = context(files);
  try {
    const r = await run(c, { dockerfile: ctx.dockerfile });
    return { r, pid1: r.findings.filter((f) => f.lever === 'pid1' && f.severity !== 'info'), ids: ids(r) };
  } finally {
    ctx.cleanup();
  }
}

const PKG = JSON.stringify({ scripts: { prestart: 'node migrate.mjs', start: 'node dist/index.js', serve: 'fastify start -l info app.js', dev: 'npm run serve' } });

test('Dockerfile exec-form npm/yarn/pnpm: a finding at its line whose fix is the program package.json runs, never ["npm","start"]', async () => {
  const { pid1 } = await onImage({ Dockerfile: 'FROM node:20\nWORKDIR /app\nCOPY package.json .\nCMD ["npm", "start", "-s"]\n', 'package.json': PKG });
  assert.equal(pid1.length, 1, JSON.stringify(pid1));
  const f = pid1[0]!;
  assert.equal(f.id, 'pid1-package-manager');
  assert.equal(f.severity, 'error');
  assert.equal(f.path, 'CMD (line 4)');
  assert.match(f.why, /runs `node migrate\.mjs && node dist\/index\.js` \(package\.json scripts\.start\)/); // the prestart hook too
  assert.match(f.fix, /^Run what the script runs, as PID 1: CMD \["sh","-c","node migrate\.mjs && exec node dist\/index\.js"\]/);
  for (const [line, expected] of [
    ['ENTRYPOINT ["yarn", "serve"]', /ENTRYPOINT \["\.\/node_modules\/\.bin\/fastify","start","-l","info","app\.js"\]/],
    ['CMD ["pnpm", "run", "dev"]', /CMD \["\.\/node_modules\/\.bin\/fastify","start","-l","info","app\.js"\]/], // dev → npm run serve → fastify
    ['CMD ["npm", "run", "missing"]', /e\.g\. CMD \["node", "dist\/index\.js"\]/],
  ] as const) {
    const { pid1: [g] } = await onImage({ Dockerfile: `FROM node:20-slim\n${line}\n`, 'package.json': PKG });
    assert.equal(g?.id, 'pid1-package-manager', line);
    assert.match(g!.fix, expected, line);
    assert.doesNotMatch(g!.fix, /: (CMD|ENTRYPOINT) \["(npm|yarn|pnpm)"/, line);
  }
});

test('Dockerfile exec-form sh -c with a && list: the fix execs the last command, it is never split into an array', async () => {
  const { pid1 } = await onImage({ Dockerfile: 'FROM node:20\nCMD ["sh", "-c", "node migrate.mjs && node dist/index.js"]\n' });
  assert.deepEqual(pid1.map((f) => [f.id, f.severity, f.path]), [['pid1-shell-wrapper', 'error', 'CMD (line 2)']]);
  assert.match(pid1[0]!.fix, /^CMD \["sh","-c","node migrate\.mjs && exec node dist\/index\.js"\]/);
  assert.doesNotMatch(pid1[0]!.fix, /"&&"/);
  assert.deepEqual((await onImage({ Dockerfile: 'FROM node:20\nCMD ["sh", "-c", "node migrate.mjs && exec node dist/index.js"]\n' })).pid1, []);
});

test('shell-form CMD: per shell (dash on Debian images stays PID 1, busybox on Alpine execs), `exec` counts, npm gets one finding', async () => {
  const [debian] = (await onImage({ Dockerfile: 'FROM node:20-slim\nCMD node server.js\n' })).pid1;
  assert.equal(debian?.id, 'pid1-dockerfile-shell-form');
  assert.match(debian!.why, /dash/);
  assert.match(debian!.fix, /^CMD \["node","server\.js"\]$/);
  assert.deepEqual((await onImage({ Dockerfile: 'FROM node:20-alpine\nCMD node server.js\n' })).pid1, []);
  assert.deepEqual((await onImage({ Dockerfile: 'FROM node:20\nCMD exec node server.js\n' })).pid1, []);
  const npm = (await onImage({ Dockerfile: 'FROM node:20\nCMD npm start\n', 'package.json': PKG })).pid1;
  assert.deepEqual(npm.map((f) => f.id), ['pid1-package-manager']);
});

test('ENTRYPOINT script: `exec "$@"` at its end hands PID 1 to CMD; a script that does not exec is found', async () => {
  const script = (last: string) => `#!/bin/sh\nset -e\n# wait for the database\nuntil nc -z db 5432; do sleep 1; done\n${last}\n`;
  const df = 'FROM node:20\nCOPY docker-entrypoint.sh /usr/local/bin/\nENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["node", "server.js"]\n';
  const ok = await onImage({ Dockerfile: df, 'docker-entrypoint.sh': script('exec "$@"') });
  assert.deepEqual(ok.pid1, []);
  assert.ok(ok.ids.includes('pid1-sigterm-unknown'), 'CMD node server.js is what runs: whether node handles SIGTERM stays unknown');
  const npmBehind = await onImage({ Dockerfile: df.replace('["node", "server.js"]', '["npm", "start"]'), 'docker-entrypoint.sh': script('exec "$@"'), 'package.json': PKG });
  assert.deepEqual(npmBehind.pid1.map((f) => [f.id, f.path]), [['pid1-package-manager', 'CMD (line 4)']]);
  const bad = await onImage({ Dockerfile: df, 'docker-entrypoint.sh': script('node server.js') });
  assert.deepEqual(bad.pid1.map((f) => [f.id, f.path]), [['pid1-shell-wrapper', 'ENTRYPOINT (line 3)']]);
  assert.match(bad.pid1[0]!.fix, /exec "\$@"/);
});

test('manifest sh -c "npm start": one finding, whose fix does not keep npm; bash -c with one command is not a wrapper', async () => {
  const r = await run(container({ command: ['sh', '-c', 'npm start'] }));
  assert.deepEqual(r.findings.filter((f) => f.lever === 'pid1').map((f) => f.id), ['pid1-package-manager']);
  assert.doesNotMatch(r.findings[0]!.fix, /: command: \["npm"/);
  assert.deepEqual(byId(await run(container({ command: ['bash', '-c', 'node server.js'] })), 'pid1-shell-wrapper'), []);
  const [list] = byId(await run(container({ command: ['bash', '-c', 'node migrate.mjs && node server.js'] })), 'pid1-shell-wrapper');
  assert.equal(list?.severity, 'warning');
  assert.match(list!.fix, /"bash","-c","node migrate\.mjs && exec node server\.js"/);
  assert.deepEqual(byId(await run(container({ image: 'node:20-alpine', command: ['sh', '-c', 'node server.js'] })), 'pid1-shell-wrapper'), []);
  const [piped] = byId(await run(container({ image: 'node:20-alpine', command: ['sh', '-c', 'node server.js | tee /log/out'] })), 'pid1-shell-wrapper');
  assert.match(piped!.why, /pipeline/);
});

// The model of each shell against the shells installed here: run `<shell> -c <script>` and watch whether
// the shell's own process turns into the program (exec) or stays and gets a child.
function observeExec(shell: string[], script: string): Promise<'exec' | 'stays'> {
  return observeArgv([...shell, '-c', script]);
}

function observeArgv(argv: string[]): Promise<'exec' | 'stays'> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const pid = child.pid!;
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const poll = () => {
      let cmd = '';
      try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!; } catch { /* not yet */ }
      const children = (() => { try { return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim(); } catch { return ''; } })();
      const state = cmd === 'sleep' ? 'exec' : children ? 'stays' : undefined;
      if (state || Date.now() > deadline) {
        child.kill('SIGKILL');
        if (state) resolve(state);
        else reject(new Error(`${argv.join(' ')}: neither exec nor child within 10 s`));
      } else setTimeout(poll, 20);
    };
    poll();
  });
}

test('the per-shell exec model matches the real dash, bash and busybox sh', async (t) => {
  const shells: [string, string[], string | undefined][] = [['dash', ['dash'], undefined], ['bash', ['bash'], undefined], ['busybox sh', ['busybox', 'sh'], 'alpine:3.20']];
  for (const [name, shell, image] of shells) {
    if (spawnSync(shell[0]!, [...shell.slice(1), '-c', 'true']).status !== 0) {
      // CI installs every shell (.ci/run): there a missing one is a lost check, not a skip
      assert.notEqual(process.env.LAB_STRICT_SKIPS, '1', `${name} is not installed (LAB_STRICT_SKIPS=1)`);
      t.diagnostic(`${name} not installed: skipped`);
      continue;
    }
    for (const script of ['sleep 30', 'cd / && sleep 30']) {
      const shape = shapeOf([...shell, '-c', script]);
      const model = shellStaysPid1(shape.shell!, image);
      const seen = await observeExec(shell, script);
      if (model === 'bash-before-5.1') {
        const v = spawnSync('bash', ['-c', 'echo ${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}'], { encoding: 'utf8' }).stdout.trim();
        assert.equal(seen, Number(v) >= 5.1 ? 'exec' : 'stays', `${name} ${v}: ${script}`);
      } else assert.equal(seen, model === 'no' ? 'exec' : 'stays', `${name}: ${script}`);
    }
  }
});

test('a final stage without CMD/ENTRYPOINT runs its base image\'s: nginx is known to handle SIGTERM, an unknown base stays unknown', async () => {
  const nginx = await onImage({ Dockerfile: 'FROM nginx\n\nADD web /usr/share/nginx/html\n' });
  assert.deepEqual(nginx.ids.filter((id) => id.startsWith('pid1-')), []);
  const [unknown] = byId((await onImage({ Dockerfile: 'FROM example/base:1\nCOPY . /srv\n' })).r, 'pid1-sigterm-unknown');
  assert.match(unknown!.why, /sets no CMD or ENTRYPOINT, so the base image example\/base:1's own command runs/);
});

test('no exec form for a line that expands variables (exec form expands nothing); a script that traps TERM is a supervisor, not a wrapper', async () => {
  const [f] = (await onImage({ Dockerfile: 'FROM python:3.12-slim\nENTRYPOINT locust --host="http://${FRONTEND_ADDR}" -u "${USERS:-10}" 2>&1\n' })).pid1;
  assert.equal(f?.id, 'pid1-dockerfile-shell-form');
  assert.match(f!.fix, /exec locust --host=/);
  assert.doesNotMatch(f!.fix, /\["locust"/);
  const supervisor = '#!/bin/sh\non_term() { kill -TERM "$child"; }\ntrap on_term TERM INT\nwhile true; do\n  k6 run script.js & child=$!\n  wait "$child"\ndone\n';
  const ok = await onImage({ Dockerfile: 'FROM grafana/k6:2\nCOPY entrypoint.sh .\nENTRYPOINT ["./entrypoint.sh"]\n', 'entrypoint.sh': supervisor });
  assert.deepEqual(ok.pid1, []);
  assert.deepEqual(byId(await run(container({ command: ['sh', '-c', 'trap "kill -TERM $pid" TERM; node server.js & pid=$!; wait $pid'] })), 'pid1-shell-wrapper'), []);
});

test('the fix works: the suggested exec-form line, run by the real /bin/sh (dash here), leaves the program as the process', async (t) => {
  if (spawnSync('sh', ['-c', 'true']).status !== 0) return t.skip('no sh');
  const { pid1: [f] } = await onImage({ Dockerfile: 'FROM debian:12\nCMD ["sh", "-c", "cd / && sleep 30"]\n' });
  const argv = JSON.parse(/^CMD (\[.*?\])( \(|$)/.exec(f!.fix)![1]!) as string[];
  assert.equal(await observeArgv(argv), 'exec', f!.fix);
  if (realpathSync('/bin/sh').endsWith('dash')) assert.equal(await observeArgv(['sh', '-c', 'cd / && sleep 30']), 'stays', 'the line before the fix keeps dash');
});

test('scripts of the build context: ENTRYPOINT args behind `exec "$@"`, a CMD script without exec, a script that ends in npm', async () => {
  const passes = '#!/bin/sh\nset -e\nexec "$@"\n';
  const withArgs = await onImage({ Dockerfile: 'FROM node:16\nCOPY . /usr/src/app\nENTRYPOINT ["/usr/src/app/docker-entrypoint.sh", "npm", "start"]\n', 'docker-entrypoint.sh': passes, 'package.json': PKG });
  assert.deepEqual(withArgs.pid1.map((f) => [f.id, f.path]), [['pid1-package-manager', 'ENTRYPOINT (line 3)']]);
  const cmdScript = await onImage({ Dockerfile: 'FROM node:20\nCOPY . .\nCMD ["./start.sh"]\n', 'start.sh': '#!/bin/sh\nnode migrate.mjs\nnode dist/main.js\n' });
  assert.deepEqual(cmdScript.pid1.map((f) => [f.id, f.path]), [['pid1-shell-wrapper', 'CMD (line 3)']]);
  assert.match(cmdScript.pid1[0]!.fix, /Start the last command of start\.sh with `exec`/);
  const npmLast = await onImage({ Dockerfile: 'FROM node:20\nCOPY . .\nENTRYPOINT ["./entrypoint.sh"]\n', 'entrypoint.sh': '#!/bin/sh\nnpx prisma migrate deploy\nexec npm start\n', 'package.json': PKG });
  assert.deepEqual(npmLast.pid1.map((f) => f.id), ['pid1-package-manager']);
  assert.match(npmLast.pid1[0]!.fix, /End entrypoint\.sh with `node migrate\.mjs && exec node dist\/index\.js` instead of `exec npm start`/);
});

test('the manifest fix as data: applying the pid1 patches leaves no wrapper finding (sh -c list, sh -c "npm start" with the Dockerfile\'s package.json, command + args)', async () => {
  const ctx = context({ Dockerfile: 'FROM node:20\nCOPY package.json .\nCMD ["node", "x.js"]\n', 'package.json': PKG });
  const manifest = writeTemp('m.yaml', yamlOf([
    deployment('list', container({ command: ['sh', '-c', 'node migrate.mjs && node server.js'] })),
    deployment('npm', container({ command: ['sh', '-c'], args: ['npm start'] })),
  ]));
  try {
    const opts = { paths: [manifest.file], dockerfile: ctx.dockerfile, deregistrationS: 1 };
    const before = (await runDoctor(opts)).findings.filter((f) => f.id === 'pid1-shell-wrapper' || f.id === 'pid1-package-manager');
    assert.equal(before.length, 2, JSON.stringify(before));
    assert.ok(before.every((f) => f.patch?.length), 'every such manifest finding carries its patch');
    const objects = readObjects(manifest.file);
    applyFindings(objects, before);
    const npm = objects.find((o) => o.metadata.name === 'npm')!.spec.template.spec.containers[0];
    assert.deepEqual([npm.command, npm.args], [['sh', '-c', 'node migrate.mjs && exec node dist/index.js'], undefined]);
    writeFileSync(manifest.file, yamlOf(objects));
    const after = (await runDoctor(opts)).findings.filter((f) => f.id === 'pid1-shell-wrapper' || f.id === 'pid1-package-manager');
    assert.deepEqual(after, []);
  } finally {
    ctx.cleanup();
    manifest.cleanup();
  }
});
