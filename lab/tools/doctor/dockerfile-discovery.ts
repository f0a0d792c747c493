import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { isLabError } from '../../../common/errors.js';
import { readDockerfile, type DockerfileInfo } from './dockerfile.js';
import { buildFor, findSkaffold, readSkaffold, type ImageBuild } from './skaffold.js';
import type { DockerfileNote } from './types.js';

// Without --dockerfile, each container's image is looked up in the skaffold.yaml near the manifests
// (skaffold.ts) and the Dockerfile that builds it is read as --dockerfile would be, for that image only.
// What was read, and what could not be, is said (notes), never fatal: the manifests are the input, a
// stale mapping in a build config is not a reason to check nothing.

export interface Discovered { byImage: Map<string, DockerfileInfo>; notes: DockerfileNote[] }

const shown = (f: string) => relative(process.cwd(), f) || f;

export function discoverDockerfiles(paths: readonly string[], images: readonly string[]): Discovered {
  const out: Discovered = { byImage: new Map(), notes: [] };
  const builds: ImageBuild[] = [];
  for (const file of findSkaffold(paths)) {
    try {
      builds.push(...readSkaffold(file));
    } catch (e) {
      out.notes.push({ skaffold: file, status: 'unreadable', message: `${shown(file)} does not parse (${(e as Error).message.split('\n')[0]}): no Dockerfile taken from it` });
    }
  }
  const read = new Map<string, DockerfileInfo | string>(); // one read per Dockerfile (or why it failed), shared by its images
  for (const image of new Set(images)) {
    const b = buildFor(image, builds);
    if (!b) continue;
    const via = `${shown(b.skaffold)} build.artifacts "${b.image}"`;
    const base = { image, skaffold: b.skaffold };
    if (!b.dockerfile) {
      out.notes.push({ ...base, status: 'no-dockerfile', message: `image ${image}: built by ${b.builder} (${via}), no Dockerfile to read; its command stays unknown` });
      continue;
    }
    const note = { ...base, dockerfile: b.dockerfile };
    if (!existsSync(b.dockerfile)) {
      out.notes.push({ ...note, status: 'missing', message: `image ${image}: ${via} names ${shown(b.dockerfile)}, which is not there; its command stays unknown (pass --dockerfile to name one)` });
      continue;
    }
    if (!read.has(b.dockerfile)) {
      try {
        read.set(b.dockerfile, readDockerfile(b.dockerfile, b.context));
      } catch (e) {
        if (!isLabError(e)) throw e;
        read.set(b.dockerfile, e.message);
      }
    }
    const df = read.get(b.dockerfile)!;
    if (typeof df === 'string') {
      out.notes.push({ ...note, status: 'unreadable', message: `image ${image}: ${df}; its command stays unknown` });
      continue;
    }
    out.byImage.set(image, df);
    out.notes.push({ ...note, status: 'read', message: `image ${image}: Dockerfile ${shown(b.dockerfile)} (${via}, context ${shown(b.context)})` });
  }
  return out;
}
