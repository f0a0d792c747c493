import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { DockerfileInfo } from './dockerfile.js';

// `node app.js` as PID 1: a signal reaches PID 1 only when it has a handler (pid_namespaces(7)), and a
// Node.js program without a SIGTERM listener has none that keeps it (measured: the lab's `without-pid1`
// arm, whose node app has no listener, is SIGKILLed at the end of every grace period). Whether the app
// adds one is read from its own sources in the build context: the entry file and every relative
// module it requires or imports. Anything that may add one out of sight (a dependency known for it, a
// file that is not there) leaves the answer unknown.

const NODE = new Set(['node', 'nodejs']);
/** A listener, or a framework call that installs one (NestJS's enableShutdownHooks). */
const HANDLES = /SIGTERM|enableShutdownHooks/;
/** Dependencies that install a SIGTERM listener themselves (terminus, lightship, http-graceful-shutdown, Next.js's server, Moleculer, LoopBack). */
const HANDLER_DEPS = /shutdown|graceful|terminus|lightship|^next$|^moleculer$|^@loopback\/core$|^@strapi\/strapi$/;
const RELATIVE = /(?:require\s*\(\s*|from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
const EXTENSIONS = ['', '.js', '.cjs', '.mjs', '/index.js'];
const MAX_FILES = 200;

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

/** The entry and the app's own modules it reaches, or undefined when one of them is not in the build context. */
function appModules(entry: string): string[] | undefined {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length && seen.size <= MAX_FILES) {
    const file = queue.shift()!;
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(RELATIVE)) {
      if (spec!.endsWith('.json')) continue;
      const found = EXTENSIONS.map((e) => resolve(dirname(file), spec! + e)).find(isFile);
      if (!found) return undefined;
      if (!seen.has(found)) {
        seen.add(found);
        queue.push(found);
      }
    }
  }
  return seen.size <= MAX_FILES ? [...seen] : undefined;
}

/** `not-handled` with the reason when node runs an app whose sources never handle SIGTERM; undefined when that cannot be known. */
export function nodeSigterm(program: string, args: readonly string[], df: DockerfileInfo | undefined): { sigterm: 'not-handled'; sigtermWhy: string } | undefined {
  if (!NODE.has(program) || !df?.findFile) return undefined;
  const entryName = args.find((a) => !a.startsWith('-'));
  if (entryName === undefined || args.some((a) => /^(-r|--require|--import|--loader)$/.test(a) || /^--(require|import|loader)=/.test(a))) return undefined;
  const entry = [entryName, `${entryName}.js`, `${entryName}/index.js`].map((n) => df.findFile!(n)).find((f) => f !== undefined);
  const modules = entry ? appModules(entry) : undefined;
  if (!modules || modules.some((f) => HANDLES.test(readFileSync(f, 'utf8')))) return undefined;
  const deps = df.packageJson?.dependencies;
  if (!deps || deps.some((d) => HANDLER_DEPS.test(d))) return undefined;
  const others = modules.length - 1;
  return {
    sigterm: 'not-handled',
    sigtermWhy: `node runs ${basename(entry!)} as PID 1; ${others ? `neither it nor the ${others} module(s) of the app it requires (${modules.slice(1).map((f) => basename(f)).join(', ')}) listens for SIGTERM (none mentions it)` : 'it does not listen for SIGTERM (never mentions it)'}, no dependency in ${df.packageJson!.file} is one known to, and a node process without a SIGTERM listener does not get the signal as PID 1`,
  };
}
