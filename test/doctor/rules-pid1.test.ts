import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byId, container, deployment, doctorOn, env, ids, writeTemp } from './fixtures.js';

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
