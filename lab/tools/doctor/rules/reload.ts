import { containerName, type RuleContext } from '../context.js';
import type { Container } from '../model.js';

// Reload: the kubelet updates a ConfigMap/Secret volume by swapping a `..data` symlink; a subPath
// mount is bound to the file it pointed at when the container started and never sees an update
// (kubernetes.io docs, "ConfigMaps": "A container using a ConfigMap as a subPath volume mount will
// not receive ConfigMap updates").

function sourceOf(volume: any): string | undefined {
  if (volume?.configMap) return `ConfigMap/${volume.configMap.name}`;
  if (volume?.secret) return `Secret/${volume.secret.secretName}`;
  const srcs: any[] = volume?.projected?.sources ?? [];
  const s = srcs.find((x) => x.configMap || x.secret);
  return s ? (s.configMap ? `ConfigMap/${s.configMap.name}` : `Secret/${s.secret.name}`) : undefined;
}

function immutable(ctx: RuleContext, source: string): boolean {
  return ctx.model.configs.some((o) => `${o.kind}/${o.name}` === source && o.obj.immutable === true);
}

function check(ctx: RuleContext, c: Container): void {
  const mounts: any[] = Array.isArray(c.spec.volumeMounts) ? c.spec.volumeMounts : [];
  const volumes: any[] = Array.isArray(c.workload.podSpec.volumes) ? c.workload.podSpec.volumes : [];
  mounts.forEach((m, i) => {
    if (!m?.subPath && !m?.subPathExpr) return;
    const source = sourceOf(volumes.find((v) => v?.name === m.name));
    if (!source || immutable(ctx, source)) return;
    const configFile = (c.spec.env ?? []).find((e: any) => e?.name === 'CONFIG_FILE')?.value;
    const reloads = typeof configFile === 'string' && (configFile === m.mountPath || configFile.startsWith(`${m.mountPath}/`));
    ctx.report('reload-subpath', c.workload, [...c.path, 'volumeMounts', i, m.subPath ? 'subPath' : 'subPathExpr'],
      `${containerName(c)} mounts ${source} at ${m.mountPath} with subPath, which never receives an update${reloads ? ', yet CONFIG_FILE points at it for hot reload' : ''}: a config change then needs a rollout; ${ctx.evidence.reload()}.`,
      `Mount the whole volume as a directory (no subPath) and point the app at the file inside it${reloads ? '' : '; if this file is never reloaded, mark the ConfigMap/Secret immutable: true'}.`,
      reloads ? 'error' : undefined);
  });
}

export function reloadRules(ctx: RuleContext): void {
  for (const c of ctx.containers()) check(ctx, c);
}
