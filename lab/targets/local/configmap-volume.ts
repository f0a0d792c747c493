import { lstat, mkdir, readdir, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go), the layout every ConfigMap and
// Secret volume has on a real node and the one the service's hot reload watches:
//   <dir>/..2024_05_01_12_00_00.123456789/<files>   the payload, written completely first
//   <dir>/..data -> ..2024_05_01_...                 swapped by one rename(2): readers see old or new
//   <dir>/<key>  -> ..data/<key>                     per visible name, created once
// then names no longer in the payload are unlinked and the old timestamped dir is removed.

let seq = 0;

function stampDirName(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const nanos = `${p(now.getUTCMilliseconds(), 3)}${p((process.hrtime()[1] + seq++) % 1_000_000, 6)}`;
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.${nanos}`;
}

/** Writes (or atomically replaces) the payload of a configMap/secret volume at `dir`. Keys are file paths relative to `dir`. */
export async function writeAtomicVolume(dir: string, payload: Record<string, string | Buffer>): Promise<void> {
  await mkdir(dir, { recursive: true });
  let old: string | undefined;
  try { old = await readlink(join(dir, '..data')); } catch { /* first write */ }
  const stamp = stampDirName();
  for (const [rel, content] of Object.entries(payload)) {
    const file = join(dir, stamp, rel);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content, { mode: 0o644 });
  }
  await mkdir(join(dir, stamp), { recursive: true }); // an empty payload still gets its dir
  const tmp = join(dir, '..data_tmp');
  await rm(tmp, { force: true });
  await symlink(stamp, tmp);
  await rename(tmp, join(dir, '..data'));
  const topNames = new Set(Object.keys(payload).map((rel) => rel.split('/')[0]!));
  for (const name of topNames) {
    try { await lstat(join(dir, name)); } catch { await symlink(join('..data', name), join(dir, name)); }
  }
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith('..') && !topNames.has(entry)) await unlink(join(dir, entry));
  }
  if (old && old !== stamp) await rm(join(dir, old), { recursive: true, force: true });
}

/** The payload a volume shows for `data`: every key, or only `items` (key → path) when given. */
export function volumePayload(data: Record<string, string>, items?: Array<{ key: string; path: string }>): Record<string, string> {
  if (!items) return { ...data };
  const out: Record<string, string> = {};
  for (const it of items) if (it.key in data) out[it.path] = data[it.key]!;
  return out;
}
