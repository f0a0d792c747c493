import { isSimple, words, withExecLast } from './command.js';

// What `npm start` / `yarn serve` / `pnpm run x` runs, read from the package.json of the image's build
// context, so a fix can name the program itself instead of keeping the package manager as PID 1.
// Lifecycle as in https://docs.npmjs.com/cli/using-npm/scripts: `npm start` runs prestart, start,
// poststart, and without a start script `node server.js`.

/** `dependencies`: the names under dependencies and optionalDependencies */
export interface PackageJson { file: string; scripts: Record<string, string>; dependencies?: string[] }

export interface ResolvedScript {
  /** e.g. `npm start` */
  invocation: string;
  /** `scripts.start` of package.json, or npm's default */
  source: string;
  /** the shell line the package manager runs (hooks included) */
  text: string;
}

const MAX_DEPTH = 5; // a script that calls a script that calls a script …

function scriptName(pm: string, args: string[]): string | undefined {
  const a = args.filter((x) => !x.startsWith('-'));
  if (pm === 'npm') {
    if (['start', 'test', 'stop', 'restart'].includes(a[0] ?? '')) return a[0];
    return ['run', 'run-script', 'rum', 'urn'].includes(a[0] ?? '') ? a[1] : undefined;
  }
  if (pm === 'yarn' || pm === 'pnpm') return ['run', 'run-script'].includes(a[0] ?? '') ? a[1] : a[0];
  return undefined;
}

export function resolveScript(pm: string, args: string[], pkg: PackageJson | undefined, depth = 0): ResolvedScript | undefined {
  const invocation = [pm, ...args].join(' ');
  if (pm === 'npx') {
    const a = args.filter((x) => !x.startsWith('-'));
    return a.length ? { invocation, source: 'npx runs the package binary', text: a.join(' ') } : undefined;
  }
  const name = scriptName(pm, args);
  if (!name || !pkg) return undefined;
  let body = pkg.scripts[name];
  let source = `${pkg.file} scripts.${name}`;
  if (body === undefined && pm === 'npm' && name === 'start') {
    body = 'node server.js';
    source = 'npm\'s default start (no scripts.start)';
  }
  if (body === undefined) return undefined;
  // npm and yarn 1 run pre/post hooks; a post hook runs after the app exits, so it cannot be part of a fix
  const pre = pm !== 'pnpm' ? pkg.scripts[`pre${name}`] : undefined;
  const inner = isSimple(body) && depth < MAX_DEPTH ? words(body) : undefined;
  const nested = inner && ['npm', 'yarn', 'pnpm'].includes(inner[0]!) ? resolveScript(inner[0]!, inner.slice(1), pkg, depth + 1) : undefined;
  const text = nested?.text ?? body;
  return { invocation, source: nested ? `${source} → ${nested.source}` : source, text: pre ? `${pre} && ${text}` : text };
}

const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The command line that runs `text` with the app as PID 1: a simple command in exec form (package
 * binaries by their node_modules/.bin path, which npm puts on PATH), a list through `sh -c` with
 * `exec` on its last command. `instruction` is `CMD` for a Dockerfile, `command:` for a manifest.
 */
export function execFormFor(text: string, instruction: 'CMD' | 'command:'): string {
  const { argv, env } = execArgv(text);
  const envNote = env.length ? (instruction === 'CMD' ? ` with ENV ${env.join(' ')}` : ` with env ${env.join(', ')}`) : '';
  return `${instruction} ${JSON.stringify(argv)}${envNote}`;
}

/** The argv of execFormFor, and the variable assignments it leaves to ENV/env. */
export function execArgv(text: string): { argv: string[]; env: string[] } {
  if (!isSimple(text)) return { argv: ['sh', '-c', withExecLast(text)], env: [] };
  const w = words(text);
  const env: string[] = [];
  while (w.length && ENV_ASSIGNMENT.test(w[0]!)) env.push(w.shift()!);
  const prog = w[0] ?? '';
  return { argv: ['node', 'sh', 'bash'].includes(prog) || prog.includes('/') ? w : [`./node_modules/.bin/${prog}`, ...w.slice(1)], env };
}
