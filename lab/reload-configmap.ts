import { mkdir, open, readlink, rename, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import { join } from 'node:path';

// The two ways a config file can change under a running process: kubelet's atomic writer (the
// way a ConfigMap/Secret volume is updated) and a naive in-place rewrite.

let seq = 0;

/**
 * kubelet's AtomicWriter layout: files live in a fresh `..<timestamp>` directory, `..data` is a
 * symlink to it, and each visible name is a symlink `name -> ..data/name`. An update writes the
 * new directory completely, points `..data_tmp` at it and renames that over `..data` — one
 * rename(2), so a reader following `..data` sees all old files or all new files.
 */
export async function writeConfigMapDir(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${process.pid}_${seq++}`;
  const tsDir = join(dir, stamp);
  await mkdir(tsDir);
  for (const [name, content] of Object.entries(files)) await writeFile(join(tsDir, name), content);
  let old: string | undefined;
  try { old = await readlink(join(dir, '..data')); } catch { /* first write */ }
  const tmp = join(dir, '..data_tmp');
  await rm(tmp, { force: true });
  await symlink(stamp, tmp);
  await rename(tmp, join(dir, '..data'));
  for (const name of Object.keys(files)) {
    const visible = join(dir, name);
    try { await lstat(visible); } catch { await symlink(join('..data', name), visible); }
  }
  if (old && old !== stamp) await rm(join(dir, old), { recursive: true, force: true });
}

/**
 * Rewrites a file in place the way `echo > file` or an unaware tool does: truncate, then write in
 * chunks. Between chunks the file holds a prefix of the new content, which a watcher can read.
 */
export async function writeInPlace(file: string, content: string, chunkBytes = 4096, pauseMs = 2): Promise<void> {
  const fh = await open(file, 'w');
  try {
    const buf = Buffer.from(content);
    for (let off = 0; off < buf.length; off += chunkBytes) {
      await fh.write(buf, off, Math.min(chunkBytes, buf.length - off));
      await fh.datasync();
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    await fh.close();
  }
}
