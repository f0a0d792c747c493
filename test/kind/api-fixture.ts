import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// A real HTTP server on 127.0.0.1 that answers the few kube-apiserver paths the kind target uses
// (discovery, apply/patch/create/delete, status reads, logs) and records every request, so tests
// can check the exact requests @kubernetes/client-node sends. Not a Kubernetes: no semantics.

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

export interface ApiFixture {
  url: string;
  requests: Recorded[];
  /** Per path (without query) response overrides: [status, body]. */
  responses: Map<string, [number, unknown]>;
  /** Consulted before `responses`: an answer for any method and path, or undefined for the defaults. */
  handler?: (method: string, path: string) => [number, unknown] | undefined;
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
      const override = fixture.handler?.(req.method ?? '', path) ?? responses.get(path);
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
