import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../helpers/proc.js';

// A user's project with the packed tarball installed, from the npm cache only. `npm install
// --offline <tarball>` would need every dependency's registry metadata, which `npm ci` does not
// cache (it fetches tarballs by the lock's URLs); so the project gets a lockfile made from this
// repository's: the tarball itself plus every non-dev entry of our lock (exactly what an install of
// the tarball resolves to today), and `npm ci --offline` installs it from cached tarballs.

export interface Packed { file: string; size: number; unpackedSize: number; files: Array<{ path: string; size: number }> }

const npm = (args: string[], cwd: string, timeout = 300_000) => {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} (in ${cwd}) exited ${r.status}: ${r.stderr}`);
  return r.stdout;
};

/** `npm pack` of this repository into `dest`. */
export function pack(dest: string): Packed {
  const [out] = JSON.parse(npm(['pack', '--json', '--pack-destination', dest], ROOT)) as Array<{ filename: string; size: number; unpackedSize: number; files: Packed['files'] }>;
  return { file: join(dest, out!.filename), size: out!.size, unpackedSize: out!.unpackedSize, files: out!.files };
}

interface LockEntry { dev?: boolean; [k: string]: unknown }

/** Installs `tarball` as a devDependency of a new project in `dir` (which must exist), offline. */
export function installInto(dir: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const self = lock.packages['']!;
  const spec = `file:${relative(dir, tarball)}`;
  const manifest = { name: 'user-project', version: '1.0.0', private: true, devDependencies: { 'deploy-loss-lab': spec } };
  const packages: Record<string, LockEntry> = {
    '': { name: manifest.name, version: manifest.version, devDependencies: manifest.devDependencies },
    'node_modules/deploy-loss-lab': {
      version: self.version, resolved: spec, dev: true, license: self.license, dependencies: self.dependencies, bin: self.bin, engines: self.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev) packages[path] = { ...entry, dev: true };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
  npm(['ci', '--offline', '--no-audit', '--no-fund'], dir);
}
