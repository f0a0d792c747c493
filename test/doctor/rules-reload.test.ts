import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byId, container, deployment, doctorOn, env } from './fixtures.js';

const withMount = (mount: Record<string, any>, extra: Record<string, any> = {}) =>
  deployment('app', container({ volumeMounts: [{ name: 'cfg', mountPath: '/etc/app/config.yaml', ...mount }], ...extra }), {}, { volumes: [{ name: 'cfg', configMap: { name: 'app-config' } }] });
const configMap = (immutable?: boolean) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config' }, data: { 'config.yaml': 'a: 1\n' }, ...(immutable ? { immutable } : {}) });

test('reload-subpath: a ConfigMap mounted with subPath is a warning, an error when CONFIG_FILE reloads it; a directory mount is not', async () => {
  const [w] = byId(await doctorOn([withMount({ subPath: 'config.yaml' }), configMap()]), 'reload-subpath');
  assert.ok(w);
  assert.equal(w.severity, 'warning');
  assert.equal(w.path, 'spec.template.spec.containers[0].volumeMounts[0].subPath');
  assert.match(w.why, /ConfigMap\/app-config .* never receives an update/);
  const [e] = byId(await doctorOn([withMount({ subPath: 'config.yaml' }, { env: env({ CONFIG_FILE: '/etc/app/config.yaml' }) })]), 'reload-subpath');
  assert.equal(e?.severity, 'error');
  assert.deepEqual(byId(await doctorOn([withMount({ mountPath: '/etc/app' })]), 'reload-subpath'), []);
  // an immutable ConfigMap is never meant to change
  assert.deepEqual(byId(await doctorOn([withMount({ subPath: 'config.yaml' }), configMap(true)]), 'reload-subpath'), []);
});

test('reload-subpath: a Secret in a projected volume counts too', async () => {
  const d = deployment('app', container({ volumeMounts: [{ name: 'tls', mountPath: '/tls/tls.crt', subPath: 'tls.crt' }] }), {},
    { volumes: [{ name: 'tls', projected: { sources: [{ secret: { name: 'app-tls' } }] } }] });
  const [f] = byId(await doctorOn([d]), 'reload-subpath');
  assert.match(f!.why, /Secret\/app-tls/);
});
