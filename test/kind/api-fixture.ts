import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { covers, type AccessCheck } from '../../lab/targets/kind/api-access.js';

// A real HTTP server on 127.0.0.1 that answers the few kube-apiserver paths the kind target uses
// (discovery, apply/patch/create/delete, status reads, logs) and records every request, so tests
// can check the exact requests @kubernetes/client-node sends. Not a Kubernetes: no semantics —
// except, with `role` set, RBAC: a resource request the Role does not grant gets 403 (and is
// listed in `denied`), and a SelfSubjectAccessReview is answered from the same Role.

export interface Recorded {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

const DISCOVERY: Record<string, Array<[string, string, boolean]>> = {
  '/api/v1': [['namespaces', 'Namespace', false], ['configmaps', 'ConfigMap', true], ['services', 'Service', true], ['serviceaccounts', 'ServiceAccount', true], ['pods', 'Pod', true]],
  '/apis/apps/v1': [['deployments', 'Deployment', true]],
  '/apis/batch/v1': [['jobs', 'Job', true]],
  '/apis/rbac.authorization.k8s.io/v1': [['roles', 'Role', true], ['rolebindings', 'RoleBinding', true]],
  '/apis/policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', true]],
  '/apis/networking.k8s.io/v1': [['ingresses', 'Ingress', true]],
};

/** A Role: the namespace it is in and its rules, one AccessCheck per (verb, group, resource[/subresource]). */
export interface FixtureRole { namespace: string; rules: AccessCheck[] }

/**
 * The RBAC attributes the API server's authorizer sees for a request (k8s.io/apiserver
 * pkg/endpoints/request/requestinfo.go): verb from the method (GET → get/list/watch), API group,
 * namespace, resource, subresource. null for a non-resource path (discovery), which every
 * authenticated user may read (the system:discovery ClusterRole).
 */
export function requestAttributes(method: string, url: string): { namespace?: string; check: AccessCheck } | null {
  const [path, query = ''] = url.split('?') as [string, string?];
  const parts = path.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) { group = ''; rest = parts.slice(2); }
  else if (parts[0] === 'apis' && parts.length >= 3) { group = parts[1]!; rest = parts.slice(3); }
  else return null;
  if (rest.length === 0) return null;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) { namespace = rest[1]; rest = rest.slice(2); }
  const [resource, name, subresource] = rest as [string, string?, string?];
  const watch = /(^|&)watch=(true|1)(&|$)/.test(query);
  const verb = method === 'GET' ? (watch ? 'watch' : name ? 'get' : 'list')
    : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch'
      : method === 'DELETE' ? (name ? 'delete' : 'deletecollection') : method.toLowerCase();
  return { ...(namespace ? { namespace } : {}), check: { verb, group, resource, ...(subresource ? { subresource } : {}) } };
}

export interface ApiFixture {
  url: string;
  requests: Recorded[];
  /** When set, RBAC is enforced with this Role (see the file's head). */
  role?: FixtureRole;
  /** Requests refused with 403 under `role`: `METHOD url`. */
  denied: string[];
  /** Per path (without query) response overrides: [status, body]. */
  responses: Map<string, [number, unknown]>;
  /** Consulted before `responses`: an answer for any method and path (`url` with its query), or undefined for the defaults. */
  handler?: (method: string, path: string, url: string, body: string) => [number, unknown] | undefined;
  close(): Promise<void>;
}

export async function startApiFixture(): Promise<ApiFixture> {
  const requests: Recorded[] = [];
  const responses = new Map<string, [number, unknown]>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (b: Buffer) => { body += b.toString(); });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
      const path = (req.url ?? '').split('?')[0]!;
      const send = (status: number, payload: unknown, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      };
      const role = fixture.role;
      if (role) {
        const attrs = requestAttributes(req.method ?? '', req.url ?? '');
        if (attrs && attrs.check.resource === 'selfsubjectaccessreviews') {
          // what the user may do is answered from the Role (every user may ask: system:basic-user)
          const ra = (() => { try { return JSON.parse(body)?.spec?.resourceAttributes ?? {}; } catch { return {}; } })();
          const asked = { verb: ra.verb, group: ra.group ?? '', resource: ra.resource, ...(ra.subresource ? { subresource: ra.subresource } : {}) };
          const allowed = ra.namespace === role.namespace && covers(role.rules, asked);
          return send(201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: ra }, status: { allowed } });
        }
        if (attrs && !(attrs.namespace === role.namespace && covers(role.rules, attrs.check))) {
          fixture.denied.push(`${req.method} ${req.url}`);
          return send(403, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: `forbidden: ${attrs.check.verb} ${attrs.check.resource}${attrs.check.subresource ? `/${attrs.check.subresource}` : ''} in ${attrs.namespace ?? '(cluster)'}` });
        }
      }
      const override = fixture.handler?.(req.method ?? '', path, req.url ?? '', body) ?? responses.get(path);
      if (override) return send(override[0], override[1], typeof override[1] === 'string' ? 'text/plain' : 'application/json');
      const disco = DISCOVERY[path];
      if (disco) {
        return send(200, {
          kind: 'APIResourceList', groupVersion: path.replace(/^\/apis?\//, ''),
          resources: disco.map(([name, kind, namespaced]) => ({ name, singularName: '', kind, namespaced, verbs: ['create', 'delete', 'get', 'list', 'patch'] })),
        });
      }
      if (req.method === 'DELETE') return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
      // Echo the object, as the API server returns the stored object.
      let obj: any = {};
      try { obj = body ? JSON.parse(body) : {}; } catch { obj = {}; }
      return send(req.method === 'POST' ? 201 : 200, { apiVersion: 'v1', kind: 'Unknown', metadata: { name: 'x' }, ...obj });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let closed: Promise<void> | undefined;
  const fixture: ApiFixture = {
    url: `http://127.0.0.1:${port}`,
    requests,
    denied: [],
    responses,
    close() {
      closed ??= new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
      return closed;
    },
  };
  return fixture;
}

export function kubeconfigYaml(server: string, context = 'fixture'): string {
  return [
    'apiVersion: v1', 'kind: Config', `current-context: ${context}`,
    'clusters:', `- name: ${context}`, '  cluster:', `    server: ${server}`, '    insecure-skip-tls-verify: true',
    'users:', '- name: tester', '  user:', '    token: not-a-secret',
    'contexts:', `- name: ${context}`, '  context:', `    cluster: ${context}`, '    user: tester',
  ].join('\n');
}

/** A fixture API server plus a KUBECONFIG (context `fixture`) pointing at it, set for this process until close(). */
export async function startFixtureKubeconfig(prefix: string): Promise<{ api: ApiFixture; dir: string; close(): Promise<void> }> {
  const api = await startApiFixture();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'config'), kubeconfigYaml(api.url));
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = join(dir, 'config');
  return {
    api,
    dir,
    async close() {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
