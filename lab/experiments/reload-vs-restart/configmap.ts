import { open } from 'node:fs/promises';

// The two ways a config file can change under a running process: kubelet's atomic writer (the
// way a ConfigMap/Secret volume is updated) and a naive in-place rewrite.

// The atomic way is the local target's own kubelet writer, so tests exercise exactly what pods see.
export { writeAtomicVolume as writeConfigMapDir } from '../../targets/local/configmap-volume.js';

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
