import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { LabError } from '../../../common/errors.js';

// Before anything starts: can this machine run the container's command from --app-dir? A Node
// service (node <file>, npm start / npm run <script>, either behind `sh -c`) is checked down to
// the file; any other program must at least be on PATH here, because the local mode runs it as a
// process on this machine (there is no image).

const SHELLS = ['sh', '/bin/sh', 'bash', '/bin/bash', '/usr/bin/env'];
const FIELD = 'spec.template.spec.containers[0].command';

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

function npmScript(appDir: string, script: string, where: string, depth: number): void {
  const pkgFile = join(appDir, 'package.json');
  if (!existsSync(pkgFile)) throw new LabError('LAB_NO_ENTRY_POINT', `${where}: ${FIELD} runs \`npm ${script === 'start' ? 'start' : `run ${script}`}\` but ${pkgFile} does not exist`);
  let pkg: { scripts?: Record<string, string>; main?: string };
  try { pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as typeof pkg; } catch (e) {
    throw new LabError('LAB_NO_ENTRY_POINT', `${where}: ${pkgFile} is not valid JSON: ${(e as Error).message}`);
  }
  const body = pkg.scripts?.[script] ?? (script === 'start' ? 'node server.js' : undefined); // npm's own default for start
  if (body === undefined) throw new LabError('LAB_NO_ENTRY_POINT', `${where}: ${pkgFile} has no scripts.${script}`);
  checkWords(firstCommand(body), appDir, `${where} (package.json scripts.${script})`, depth + 1);
}

function checkWords(words: string[], appDir: string, where: string, depth: number): void {
  if (depth > 4 || words.length === 0) return;
  const [program, ...rest] = words as [string, ...string[]];
  if (SHELLS.includes(program)) {
    if (program === '/usr/bin/env') return checkWords(rest, appDir, where, depth + 1);
    const c = rest.indexOf('-c');
    if (c >= 0 && rest[c + 1] !== undefined) return checkWords(firstCommand(rest[c + 1]!), appDir, where, depth + 1);
    const script = rest.find((w) => !w.startsWith('-'));
    if (script && !existsSync(isAbsolute(script) ? script : join(appDir, script))) throw new LabError('LAB_NO_ENTRY_POINT', `${where}: ${FIELD} runs the script ${script}, not found in ${appDir}`);
    return;
  }
  if (program === 'node' || program.endsWith('/node')) {
    const file = rest.find((w) => !w.startsWith('-'));
    if (file === undefined) throw new LabError('LAB_NO_ENTRY_POINT', `${where}: ${FIELD} runs node without a script`);
    const local = isAbsolute(file) ? file : join(appDir, file);
    const candidates = [local, `${local}.js`, join(local, 'index.js')];
    if (!candidates.some((f) => existsSync(f))) throw new LabError('LAB_NO_ENTRY_POINT', `${where}: ${FIELD} runs node ${file}, but ${local} does not exist in --app-dir ${appDir}`);
    return;
  }
  if (program === 'npm') {
    const script = rest[0] === 'start' ? 'start' : rest[0] === 'run' || rest[0] === 'run-script' ? rest[1] : undefined;
    if (script === undefined) throw new LabError('LAB_NO_ENTRY_POINT', `${where}: ${FIELD} runs npm ${rest.join(' ')} (the local mode follows npm start and npm run <script>)`);
    return npmScript(appDir, script, where, depth);
  }
  if (program.includes('/')) {
    const local = isAbsolute(program) ? program : join(appDir, program);
    if (!existsSync(local)) throw new LabError('LAB_NO_ENTRY_POINT', `${where}: ${FIELD} runs ${program}, not found (relative paths are read in --app-dir ${appDir})`);
    return;
  }
  if (!onPath(program)) {
    throw new LabError('LAB_NO_ENTRY_POINT', `${where}: ${FIELD} runs ${program}, which is not on this machine's PATH (the local mode runs the command here, not the image; Node services are the supported case)`);
  }
}

/** Throws LAB_NO_ENTRY_POINT naming the manifest field when `argv` cannot start from `appDir` on this machine. */
export function checkEntryPoint(argv: readonly string[], appDir: string, where: string): void {
  if (argv.length === 0) throw new LabError('LAB_UNSUPPORTED_MANIFEST', `${where}: ${FIELD} is missing (there is no image entrypoint locally; state the command)`);
  checkWords([...argv], appDir, where, 0);
}
