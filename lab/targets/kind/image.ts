import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { LabError } from '../../../common/errors.js';
import { CLUSTER_NAME, IMAGE_REPO } from './constants.js';
import type { Executor } from './executor.js';

// The image tag is derived from everything that goes into the image, so an unchanged tree reuses
// the image already loaded into kind and a changed one can never be confused with it (no :latest).

/** Files and folders that determine the image's content (the Dockerfile's COPY sources). */
export const IMAGE_INPUTS = ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'common', 'service', 'worker', 'lab', 'loadtest'] as const;

function walk(root: string, path: string, out: string[]): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === 'node_modules' || name === 'dist') continue;
      walk(root, join(path, name), out);
    }
  } else if (st.isFile()) {
    out.push(relative(root, path));
  }
}

/** The files hashed into the tag, sorted; a missing Dockerfile or lock file is an error, not a silent skip. */
export function imageFiles(root: string): string[] {
  for (const must of ['Dockerfile', 'package-lock.json']) {
    if (!existsSync(join(root, must))) throw new LabError('LAB_MISSING_TOOL', `${must} not found in ${root}; the image cannot be built`);
  }
  const out: string[] = [];
  for (const input of IMAGE_INPUTS) {
    const p = join(root, input);
    if (existsSync(p)) walk(root, p, out);
  }
  return out.sort();
}

/** sha256 over (path, content) of every image input; the first 12 hex digits name the tag. */
export function contentHash(root: string): string {
  const h = createHash('sha256');
  for (const f of imageFiles(root)) {
    h.update(f).update('\0').update(readFileSync(join(root, f))).update('\0');
  }
  return h.digest('hex').slice(0, 12);
}

export function imageTag(root: string): string {
  return `${IMAGE_REPO}:${contentHash(root)}`;
}

/**
 * Builds the image and makes it available to the cluster: `kind load` for the lab's kind cluster,
 * otherwise a push to LAB_REGISTRY (any other cluster pulls from a registry). Returns the image
 * reference the manifests must use.
 */
export async function buildAndLoad(exec: Executor, root: string, tag: string, opts: { kind: boolean; registry?: string | undefined }): Promise<string> {
  await exec.command('docker', ['build', '--tag', tag, '--file', join(root, 'Dockerfile'), root]);
  if (opts.kind) {
    try {
      await exec.command('kind', ['load', 'docker-image', tag, '--name', CLUSTER_NAME]);
    } catch (err) {
      if (exec.dryRun) throw err;
      await loadViaArchive(exec, tag, err);
    }
    return tag;
  }
  if (!opts.registry) {
    throw new LabError('LAB_BAD_ENV', 'LAB_REGISTRY is unset: a cluster other than kind needs a registry it can pull from (e.g. LAB_REGISTRY=ghcr.io/you)');
  }
  const remote = `${opts.registry.replace(/\/+$/, '')}/${tag}`;
  await exec.command('docker', ['tag', tag, remote]);
  await exec.command('docker', ['push', remote]);
  return remote;
}

/**
 * Docker's containerd image store (the default since Docker 29, and on Docker Desktop) makes
 * `kind load docker-image` fail with "content digest … not found": it saves a multi-platform index
 * whose other platforms are absent (kubernetes-sigs/kind#3795). The workaround kind documents
 * (kubernetes-sigs/kind#4247): save one platform to an archive and `kind load image-archive` it.
 */
async function loadViaArchive(exec: Executor, tag: string, first: unknown): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-image-'));
  const archive = join(dir, 'image.tar');
  const platform = `linux/${process.arch === 'arm64' ? 'arm64' : 'amd64'}`;
  try {
    // `docker image save --platform` exists from Docker 28 on (API 1.48); an older engine has no
    // containerd image store by default, so it saves the one platform it has without the flag.
    const version = await exec.command('docker', ['version', '--format', '{{.Server.Version}}']).catch(() => '');
    const platformArgs = versionAtLeast(version.trim(), 28) ? ['--platform', platform] : [];
    await exec.command('docker', ['image', 'save', ...platformArgs, '--output', archive, tag]);
    await exec.command('kind', ['load', 'image-archive', archive, '--name', CLUSTER_NAME]);
  } catch (err) {
    throw new LabError('LAB_K8S_API', `kind load docker-image ${tag} failed (${(first as Error)?.message ?? first}), and so did the archive fallback: ${(err as Error)?.message ?? err}`, { cause: err });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `28.0.1` ≥ 28; an unreadable version is not. */
export function versionAtLeast(version: string, major: number): boolean {
  const m = /^(\d+)\./.exec(version);
  return m !== null && Number(m[1]) >= major;
}
