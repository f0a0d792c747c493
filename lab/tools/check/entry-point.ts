import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { LabError } from '../../../common/errors.js';

// Before anything starts: can this machine run the container's command from --app-dir? A Node
// service (node <file>, npm start / npm run <script> / npx <bin>, either behind `sh -c`) is checked
// down to the file; a program a package script calls is looked up in node_modules/.bin first, as
// npm does, and followed to the package's bin file; any other program must at least be on PATH here,
// because the local mode runs it as a process on this machine (there is no image).
// The chain of what runs what is returned: it is the PID 1 analysis the results state.

const SHELLS = ['sh', '/bin/sh', 'bash', '/bin/bash', '/usr/bin/env'];
const FIELD = 'spec.template.spec.containers[0].command';
const MAX_DEPTH = 6;

/** What the container's command ends up running, step by step (`npm start` → script → bin → file). */
export interface EntryPoint {
  chain: string[];
}

/** The words of the first simple command of a `sh -c` string (enough for `exec node x`, `npm start && …`). */
function firstCommand(script: string): string[] {
  const head = script.split(/&&|\|\||;|\|/)[0] ?? '';
  const words = head.trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/^["']|["']$/g, ''));
  while (words[0] === 'exec' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) words.shift();
  return words;
}

function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v "$1"`, 'sh', program], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

/** The interpreter a file's `#!` line names (`node` for `#!/usr/bin/env node`), or undefined. */
function shebangProgram(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(256);
    const line = buf.subarray(0, readSync(fd, buf, 0, 256, 0)).toString('utf8').split('\n')[0] ?? '';
    if (!line.startsWith('#!')) return undefined;
    const words = line.slice(2).trim().split(/\s+/);
    const prog = words[0]?.endsWith('/env') ? words.find((w, i) => i > 0 && !w.startsWith('-')) : words[0];
    return prog?.split('/').pop();
  } catch { return undefined; } finally { if (fd !== undefined) closeSync(fd); }
}

interface Ctx { appDir: string; where: string; chain: string[]; depth: number; inNpm: boolean }

const shown = (appDir: string, file: string) => { const r = relative(appDir, file); return r.startsWith('..') ? file : r; };

/** A program from node_modules/.bin of the app (npm puts it on PATH for scripts), followed to its real file. */
function binEntry(program: string, c: Ctx): boolean {
  const link = join(c.appDir, 'node_modules', '.bin', program);
  let isLink = false;
  try { isLink = lstatSync(link).isSymbolicLink(); } catch { return false; }
  let real: string;
  try { real = realpathSync(link); } catch {
    throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: node_modules/.bin/${program} in --app-dir ${c.appDir} points to a file that does not exist (run npm install there)`);
  }
  const interpreter = shebangProgram(real) ?? (/\.[cm]?js$/.test(real) ? 'node' : undefined);
  c.chain.push(`node_modules/.bin/${program}${isLink ? ` → ${shown(c.appDir, real)}` : ''}${interpreter ? ` (run by ${interpreter}, from its #! line)` : ''}`);
  if (interpreter && interpreter !== 'node' && !onPath(interpreter)) {
    throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${shown(c.appDir, real)} is run by ${interpreter}, which is not on this machine's PATH`);
  }
  return true;
}

/** npm's `bin` of a dependency the app declares but has not installed: the usual first-run mistake. */
function declaredDependency(program: string, appDir: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const deps = { ...pkg.dependencies, ...pkg.devDependencies };
    return Object.keys(deps).find((d) => d === program || d.split('/').pop() === program || d === `${program}-cli` || program === d.replace(/-cli$/, ''));
  } catch { return undefined; }
}

function npmScript(script: string, c: Ctx): void {
  const pkgFile = join(c.appDir, 'package.json');
  if (!existsSync(pkgFile)) throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${FIELD} runs \`npm ${script === 'start' ? 'start' : `run ${script}`}\` but ${pkgFile} does not exist`);
  let pkg: { scripts?: Record<string, string>; main?: string };
  try { pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as typeof pkg; } catch (e) {
    throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${pkgFile} is not valid JSON: ${(e as Error).message}`);
  }
  const body = pkg.scripts?.[script] ?? (script === 'start' ? 'node server.js' : undefined); // npm's own default for start
  if (body === undefined) throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${pkgFile} has no scripts.${script}`);
  c.chain.push(`package.json scripts.${script}${pkg.scripts?.[script] === undefined ? ' (npm\'s default)' : ''}: ${body}`);
  checkWords(firstCommand(body), { ...c, where: `${c.where} (package.json scripts.${script})`, depth: c.depth + 1, inNpm: true });
}

function checkWords(words: string[], c: Ctx): void {
  if (c.depth > MAX_DEPTH || words.length === 0) return;
  const [program, ...rest] = words as [string, ...string[]];
  const deeper = (w: string[], extra: Partial<Ctx> = {}) => checkWords(w, { ...c, depth: c.depth + 1, ...extra });
  if (SHELLS.includes(program)) {
    if (program === '/usr/bin/env') return deeper(rest);
    const i = rest.indexOf('-c');
    if (i >= 0 && rest[i + 1] !== undefined) { c.chain.push(`${program} -c "${rest[i + 1]}"`); return deeper(firstCommand(rest[i + 1]!)); }
    const script = rest.find((w) => !w.startsWith('-'));
    if (script && !existsSync(isAbsolute(script) ? script : join(c.appDir, script))) throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${FIELD} runs the script ${script}, not found in ${c.appDir}`);
    return;
  }
  if (program === 'node' || program.endsWith('/node')) {
    const file = rest.find((w) => !w.startsWith('-'));
    if (file === undefined) throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${FIELD} runs node without a script`);
    const local = isAbsolute(file) ? file : join(c.appDir, file);
    const found = [local, `${local}.js`, join(local, 'index.js')].find((f) => existsSync(f));
    if (found === undefined) throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${FIELD} runs node ${file}, but ${local} does not exist in --app-dir ${c.appDir}`);
    const real = realpathSync(found);
    c.chain.push(`node ${file}${real !== found ? ` → ${shown(c.appDir, real)}` : ''}`);
    return;
  }
  if (program === 'npm' || program === 'npx') {
    // npx X, npm exec X, npm x X: the package's bin, from node_modules/.bin as in a script
    const exec = program === 'npx' ? rest : ['exec', 'x'].includes(rest[0] ?? '') ? rest.slice(1) : undefined;
    if (exec) {
      const bin = exec.filter((w) => w !== '--').find((w) => !w.startsWith('-'));
      if (bin === undefined) throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${FIELD} runs ${program} ${rest.join(' ')} without a program`);
      c.chain.push(`${program} ${rest.join(' ')}`);
      return deeper(exec.slice(exec.indexOf(bin)), { inNpm: true });
    }
    const script = rest[0] === 'start' ? 'start' : rest[0] === 'run' || rest[0] === 'run-script' ? rest[1] : undefined;
    if (script === undefined) throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${FIELD} runs npm ${rest.join(' ')} (the local mode follows npm start, npm run <script> and npm exec / npx <bin>)`);
    c.chain.push(`npm ${rest.join(' ')}`);
    return npmScript(script, c);
  }
  if (program.includes('/')) {
    const local = isAbsolute(program) ? program : join(c.appDir, program);
    if (!existsSync(local)) throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${FIELD} runs ${program}, not found (relative paths are read in --app-dir ${c.appDir})`);
    const real = realpathSync(local);
    const interpreter = shebangProgram(real);
    c.chain.push(`${program}${real !== local ? ` → ${shown(c.appDir, real)}` : ''}${interpreter ? ` (run by ${interpreter}, from its #! line)` : ''}`);
    return;
  }
  // npm puts the app's node_modules/.bin first on PATH for scripts and npx
  if (c.inNpm && binEntry(program, c)) return;
  if (onPath(program)) { c.chain.push(`${program} (on PATH)`); return; }
  const inBin = existsSync(join(c.appDir, 'node_modules', '.bin', program));
  const dep = declaredDependency(program, c.appDir);
  const why = inBin
    ? `; it is in node_modules/.bin, which npm puts on PATH for package scripts but a container's command does not have (run it through npm, or as node_modules/.bin/${program})`
    : dep ? `; package.json declares ${dep}: run npm install in --app-dir ${c.appDir}` : ' (the local mode runs the command here, not the image; Node services are the supported case)';
  throw new LabError('LAB_NO_ENTRY_POINT', `${c.where}: ${FIELD} runs ${program}, which is not on this machine's PATH${why}`);
}

/** Throws LAB_NO_ENTRY_POINT naming the manifest field when `argv` cannot start from `appDir` on this machine. */
export function checkEntryPoint(argv: readonly string[], appDir: string, where: string): EntryPoint {
  if (argv.length === 0) throw new LabError('LAB_UNSUPPORTED_MANIFEST', `${where}: ${FIELD} is missing (there is no image entrypoint locally; state the command)`);
  const c: Ctx = { appDir, where, chain: [], depth: 0, inNpm: false };
  checkWords([...argv], c);
  return { chain: c.chain };
}

/** One line for the results: what PID 1 is and what it ends up running. */
export function describeEntryPoint(deployment: string, argv: readonly string[], e: EntryPoint): string {
  const steps = e.chain[0] === argv.join(' ') ? e.chain.slice(1) : e.chain;
  return `Deployment/${deployment}: PID 1 runs \`${argv.join(' ')}\`${steps.length ? ` → ${steps.join(' → ')}` : ''}`;
}
