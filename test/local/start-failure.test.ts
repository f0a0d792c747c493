import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalCluster } from '../../lab/targets/local/cluster.js';
import { PodStartError, portMismatch } from '../../lab/targets/local/start-failure.js';

// A start that runs out of time without clear evidence (the readiness path answers 503, as an app
// waiting for a dependency does) is restated with what the probe last saw, where the app listens,
// its output and the log path, instead of a bare LAB_TIMEOUT.

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-start-'));
  chmodSync(dir, 0o755); // the app dir and run dir: the pod runs as nobody here (no runAsUser, no sudo)
  writeFileSync(join(dir, 'app.js'), "require('node:http').createServer((q, s) => { s.statusCode = 503; s.end('waiting for the database'); }).listen(3000, process.env.HOST, () => console.log('up, waiting for the database'));\n");
  writeFileSync(join(dir, 'manifest.yaml'), `apiVersion: apps/v1
kind: Deployment
metadata: {name: waiting, namespace: t}
spec:
  replicas: 1
  selector: {matchLabels: {app: waiting}}
  template:
    metadata: {labels: {app: waiting}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: waiting:1
          workingDir: /app
          command: ["node", "app.js"]
          ports: [{name: http, containerPort: 3000}]
          env: [{name: HOST, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
          readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}
`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a start that times out says why', () => {
  it('LAB_POD_NEVER_READY: the probe saw HTTP 503, the app listens on the pod address, its output and the log path', async () => {
    const runDir = join(dir, 'run');
    const t0 = Date.now();
    const err = await LocalCluster.start({ manifestFile: join(dir, 'manifest.yaml'), runDir, appDir: dir, startTimeoutMs: 4000 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PodStartError, String(err));
    assert.equal(err.code, 'LAB_POD_NEVER_READY');
    assert.match(err.message, /Deployment\/waiting not complete after \d+ ms/);
    assert.match(err.message, /readiness probe last saw HTTP 503 from GET \/healthz on :3000; it listens on 127\.\d+\.\d+\.\d+:3000/);
    assert.match(err.message, /last 1 line\(s\) of its stdout \(nothing on stderr\):\n {2}\| up, waiting for the database/);
    assert.ok(isAbsolute(err.facts.logFile) && existsSync(err.facts.logFile), err.facts.logFile);
    assert.ok(Date.now() - t0 < 15_000, 'the timeout, not more');
  });

  it('names where the app listens when the probe is refused: another port, only loopback inside its namespace; nothing when the pod address is served', () => {
    assert.equal(portMismatch([{ address: '0.0.0.0', port: 8080 }], 3000, '198.18.4.7'), 'the app listens on 0.0.0.0:8080, not on :3000');
    // fastify's default `localhost` in a pod of its own (netns): 127.0.0.1 and ::1 only
    assert.match(portMismatch([{ address: '127.0.0.1', port: 3000 }, { address: '::1', port: 3000 }], 3000, '198.18.4.7')!,
      /listens on 127\.0\.0\.1:3000, \[::1\]:3000: on :3000 only on loopback inside the pod, which the pod's address 198\.18\.4\.7 does not reach/);
    assert.equal(portMismatch([{ address: '127.4.1.2', port: 3000 }], 3000, '127.4.1.2'), undefined, 'loopback mode: the pod address is a 127.x one');
    assert.equal(portMismatch([{ address: '::', port: 3000 }], 3000, '198.18.4.7'), undefined);
    assert.equal(portMismatch([], 3000, '198.18.4.7'), undefined, 'listening nowhere yet: maybe still starting');
  });
});
