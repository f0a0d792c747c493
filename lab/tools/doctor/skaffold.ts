import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import YAML from 'yaml';

// Which Dockerfile builds which image, from the skaffold.yaml of the user's repository, so `doctor k8s/`
// reads each image's CMD/ENTRYPOINT without --dockerfile. Schema (skaffold/v1 … v4, `build.artifacts[]`):
// `image`; `context`, the directory of the artifact's sources, default `.` (relative to skaffold.yaml);
// `docker.dockerfile` (or `kaniko.dockerfile`), relative to the context, default `Dockerfile`. An
// artifact built another way (jib, ko, bazel, buildpacks, custom) has no Dockerfile. Profiles, `requires`
// of other files and templated fields are not followed: the base config's artifacts only.

export const SKAFFOLD_FILES = ['skaffold.yaml', 'skaffold.yml'];
/** Directories looked at: the manifest's own and up to this many parents (a repo's deploy/k8s/overlays/prod is 4 deep). */
export const MAX_LEVELS = 6;
const OTHER_BUILDERS = ['jib', 'jibMaven', 'jibGradle', 'ko', 'bazel', 'buildpacks', 'custom'];

export interface ImageBuild {
  /** the artifact's image as skaffold.yaml names it */
  image: string;
  /** the Dockerfile, absolute; undefined when the artifact is built without one */
  dockerfile: string | undefined;
  context: string;
  skaffold: string;
  /** for an artifact without a Dockerfile: its builder */
  builder?: string;
}

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

/**
 * The skaffold.yaml nearest to where the manifests are: the directory of each path (a directory path
 * itself), then its parents, stopping at the first skaffold.yaml, at a repository root (a directory
 * holding .git: nothing above it is the user's project), or after MAX_LEVELS directories.
 */
export function findSkaffold(paths: readonly string[]): string[] {
  const found = new Set<string>();
  for (const p of paths) {
    if (p === '-') continue; // stdin: no place to start from
    const abs = resolve(p);
    let dir = existsSync(abs) && statSync(abs).isDirectory() ? abs : dirname(abs);
    for (let level = 0; level < MAX_LEVELS; level++) {
      const file = SKAFFOLD_FILES.map((n) => join(dir, n)).find(isFile);
      if (file) {
        found.add(file);
        break;
      }
      const parent = dirname(dir);
      if (existsSync(join(dir, '.git')) || parent === dir) break;
      dir = parent;
    }
  }
  return [...found];
}

/** The artifacts of every config in a skaffold.yaml (multi-document files hold several). Throws on unparseable YAML. */
export function readSkaffold(file: string): ImageBuild[] {
  const base = dirname(file);
  const out: ImageBuild[] = [];
  for (const doc of YAML.parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (doc.errors.length) throw new Error(doc.errors[0]!.message);
    const cfg = doc.toJS() as { build?: { artifacts?: unknown } } | null;
    const artifacts = Array.isArray(cfg?.build?.artifacts) ? cfg!.build!.artifacts as unknown[] : [];
    for (const a of artifacts) {
      if (typeof a !== 'object' || a === null || typeof (a as { image?: unknown }).image !== 'string') continue;
      const art = a as Record<string, any>;
      const context = resolve(base, typeof art.context === 'string' ? art.context : '.');
      const builder = OTHER_BUILDERS.find((b) => art[b] !== undefined);
      const df = art.docker?.dockerfile ?? art.kaniko?.dockerfile;
      out.push({
        image: art.image, context, skaffold: file,
        dockerfile: builder ? undefined : resolve(context, typeof df === 'string' ? df : 'Dockerfile'),
        ...(builder ? { builder } : {}),
      });
    }
  }
  return out;
}

/**
 * An image reference without registry, tag and digest: `gcr.io/p/app:v1@sha256:…` → `p/app`. The first
 * component is a registry when it has a `.` or `:` or is `localhost` (the Docker reference grammar).
 */
export function imageName(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const noTag = colon > slash ? noDigest.slice(0, colon) : noDigest;
  const parts = noTag.split('/');
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) parts.shift();
  return parts.join('/');
}

/**
 * The artifact that builds a container's image: the same name, or a name that ends in `/<artifact>`
 * (skaffold's --default-repo prefixes the artifact's image with a repository, e.g. `currencyservice` is
 * pushed as `gcr.io/my-project/currencyservice`).
 */
export function buildFor(image: string, builds: readonly ImageBuild[]): ImageBuild | undefined {
  const name = imageName(image);
  return builds.find((b) => imageName(b.image) === name) ?? builds.find((b) => name.endsWith(`/${imageName(b.image)}`));
}
