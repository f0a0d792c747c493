import { dirname } from 'node:path';
import { LabError } from '../../../common/errors.js';
import { APP_DIR, type ContainerSpec, type Manifest } from './manifest.js';

// Turns a container spec into the argv/env/cwd of a local process. Kubernetes semantics first
// (env in order, $(VAR) expansion, fieldRef values), then the documented local translations
// (docs/local-vs-kind.md): Service DNS names → Service addresses, /app → repo root, `node` → this
// node binary, volume mount paths → the pod's materialized directories, the kubelet's
// KUBERNETES_SERVICE_* variables.

export interface PodContext {
  podName: string;
  namespace: string;
  podIP: string;
  /** the node's address as the pod sees it */
  hostIP: string;
  repoRoot: string;
  /** the pod's own directory, the working directory when the manifest names none */
  podDir: string;
  /** mountPath → local directory */
  mounts: ReadonlyArray<{ mountPath: string; dir: string }>;
  manifest: Pick<Manifest, 'configMaps' | 'secrets'>;
  /** local address of a Service for a DNS name (name, name.ns, name.ns.svc[.cluster.local]), or undefined */
  serviceAddress(dnsName: string): string | undefined;
}

export interface LocalCommand { argv: string[]; env: Record<string, string>; cwd: string }

/** Kubernetes' $(VAR) expansion: defined names are replaced, $$ escapes, anything else stays verbatim. */
export function expandVars(s: string, env: Readonly<Record<string, string>>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && Object.prototype.hasOwnProperty.call(env, name) ? env[name]! : m;
  });
}

function rewriteServiceHost(value: string, ctx: PodContext): string {
  if (value.includes('://')) {
    try {
      const u = new URL(value);
      const addr = ctx.serviceAddress(u.hostname);
      if (addr) { u.hostname = addr; return value.endsWith('/') || u.pathname !== '/' ? u.toString() : u.toString().replace(/\/$/, ''); }
    } catch { /* not a URL after all */ }
    return value;
  }
  const m = /^([a-z0-9.-]+)(:\d+)?$/.exec(value);
  const addr = m ? ctx.serviceAddress(m[1]!) : undefined;
  return addr ? `${addr}${m![2] ?? ''}` : value;
}

/** One pass over all mount paths (longest first), so a rewritten path is never rewritten again (runDir may live under /tmp). */
function rewriteMountPaths(value: string, ctx: PodContext): string {
  if (ctx.mounts.length === 0) return value;
  const byPath = new Map(ctx.mounts.map((m) => [m.mountPath.replace(/\/+$/, ''), m.dir]));
  const alternatives = [...byPath.keys()].sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return value.replace(new RegExp(`(^|=)(${alternatives.join('|')})(?=/|$)`, 'g'), (_m, pre: string, path: string) => `${pre}${byPath.get(path)}`);
}

function fieldRefValue(path: string, ctx: PodContext): string {
  switch (path) {
    case 'metadata.name': return ctx.podName;
    case 'metadata.namespace': return ctx.namespace;
    case 'status.podIP': return ctx.podIP;
    case 'status.hostIP': return ctx.hostIP;
    case 'spec.nodeName': return 'local';
    default: throw new LabError('LAB_UNSUPPORTED_MANIFEST', `fieldRef ${path}`);
  }
}

function keyRef(kind: 'ConfigMap' | 'Secret', ref: { name: string; key: string; optional: boolean }, ctx: PodContext): string | undefined {
  const data = (kind === 'ConfigMap' ? ctx.manifest.configMaps : ctx.manifest.secrets).get(ref.name);
  const v = data?.[ref.key];
  if (v === undefined && !ref.optional) throw new LabError('LAB_UNKNOWN_OBJECT', `${kind}/${ref.name} key "${ref.key}" (pod ${ctx.podName})`);
  return v;
}

export function localCommand(spec: ContainerSpec, ctx: PodContext): LocalCommand {
  const env: Record<string, string> = {};
  for (const e of spec.env) {
    const s = e.source;
    let v: string | undefined;
    if ('value' in s) v = expandVars(s.value, env);
    else if ('fieldRef' in s) v = fieldRefValue(s.fieldRef, ctx);
    else if ('configMapKeyRef' in s) v = keyRef('ConfigMap', s.configMapKeyRef, ctx);
    else v = keyRef('Secret', s.secretKeyRef, ctx);
    if (v !== undefined) env[e.name] = v;
  }
  const expanded = [...(spec.command ?? []), ...(spec.args ?? [])].map((a) => expandVars(a, env));
  const argv = expanded.map((a, i) => (i === 0 && a === 'node' ? process.execPath : rewriteMountPaths(a, ctx)));
  const localEnv: Record<string, string> = {
    // The image's PATH, locally: this node first, so `sh -c "node ..."` runs the same binary.
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
    HOSTNAME: ctx.podName,
    // The kubelet gives every container the API server's Service (even with enableServiceLinks
    // false). Apps read it to know they run on Kubernetes (fastify-cli then listens on 0.0.0.0);
    // no API server answers at this address here.
    KUBERNETES_SERVICE_HOST: ctx.hostIP,
    KUBERNETES_SERVICE_PORT: '443',
  };
  for (const [k, v] of Object.entries(env)) localEnv[k] = rewriteMountPaths(rewriteServiceHost(v, ctx), ctx);
  return { argv, env: localEnv, cwd: spec.workingDir === APP_DIR ? ctx.repoRoot : ctx.podDir };
}

/** The Service a DNS name points at in `namespace`, or undefined. */
export function serviceForDnsName(host: string, namespace: string, services: readonly string[]): string | undefined {
  for (const s of services) {
    if ([s, `${s}.${namespace}`, `${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`].includes(host)) return s;
  }
  return undefined;
}
