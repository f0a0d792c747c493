import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLabError } from '../../common/errors.js';
import { parseManifest } from '../../lab/targets/local/manifest.js';
import { BASE_MANIFEST, HTTPS_PORT, patchManifest, shutdownTiming } from '../../lab/experiments/reconnect/manifest.js';
import { ROOT } from '../helpers/proc.js';

const base = readFileSync(join(ROOT, BASE_MANIFEST), 'utf8');
const envOf = (text: string) => {
  const m = parseManifest(text);
  const c = m.deployments.find((d) => d.name === 'service')!.template.container;
  return Object.fromEntries(c.env.map((e) => [e.name, 'value' in e.source ? e.source.value : '<ref>']));
};

test('the arms differ from the rendered after arm only in CLOSE_JITTER_MS (and lose the worker)', () => {
  const sync = patchManifest(base, { closeJitterMs: 0 });
  const jit = patchManifest(base, { closeJitterMs: 2500 });
  assert.equal(envOf(sync).CLOSE_JITTER_MS, '0');
  assert.equal(envOf(jit).CLOSE_JITTER_MS, '2500');
  const { CLOSE_JITTER_MS: _a, ...restSync } = envOf(sync);
  const { CLOSE_JITTER_MS: _b, ...restBase } = envOf(base);
  assert.deepEqual(restSync, restBase);
  // everything but the override line and the header is the same text
  const body = (t: string) => t.split('\n').slice(1).filter((l) => !/value: "(0|2500)"/.test(l)).join('\n');
  assert.equal(body(sync), body(jit));
  const m = parseManifest(sync);
  assert.deepEqual(m.deployments.map((d) => d.name).sort(), ['redis', 'service']);
  const svc = m.deployments.find((d) => d.name === 'service')!;
  assert.deepEqual(svc.strategy, parseManifest(base).deployments.find((d) => d.name === 'service')!.strategy);
});

test('the https variant serves TLS on a named port published by the Service, pair in the config volume', () => {
  const text = patchManifest(base, { closeJitterMs: 0, tls: { cert: 'CERT', key: 'KEY' } });
  const m = parseManifest(text);
  assert.equal(envOf(text).HTTPS_PORT, String(HTTPS_PORT));
  const svc = m.deployments.find((d) => d.name === 'service')!;
  assert.deepEqual(svc.template.container.ports.find((p) => p.name === 'https'), { name: 'https', containerPort: HTTPS_PORT });
  assert.deepEqual(m.services.find((s) => s.name === 'service')!.ports.map((p) => p.name), ['http', 'https']);
  const cm = m.configMaps.get('service-config')!;
  assert.equal(cm['tls.crt'], 'CERT');
  assert.equal(cm['tls.key'], 'KEY');
  assert.match(cm['config.yaml']!, /tls:\n {2}certFile: tls\.crt\n {2}keyFile: tls\.key\n$/);
});

test('shutdown timing comes from the manifest; a manifest without the service is refused', () => {
  assert.deepEqual(shutdownTiming(base), { drainDelayMs: 1000, shutdownDeadlineMs: 6000, replicas: 3 });
  assert.throws(() => patchManifest('apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n', { closeJitterMs: 0 }),
    (e: unknown) => isLabError(e, 'LAB_MISSING_MANIFEST') && /has no Deployment\/service/.test(e.message));
});
