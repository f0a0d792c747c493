import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DockerfileInfo } from './dockerfile.js';

// `python app.py` as PID 1: CPython installs handlers for SIGINT only (KeyboardInterrupt), so SIGTERM
// keeps its default action, and the kernel delivers no signal to a PID 1 without a handler
// (pid_namespaces(7); measured for python3 in test/doctor/python-sigterm.test.ts). Whether the app
// installs one is read from its own sources in the build context: the entry file and every module it
// imports that is a file there (`import x` / `from x import y` / `from .x import y`); other imports are
// the standard library (which installs no SIGTERM handler on import) or a dependency of
// requirements.txt, judged by name. Conservative: any mention of SIGTERM, `signal.signal(` or
// `add_signal_handler` anywhere in those files, a dependency known for handling it, no
// requirements.txt, another dependency manifest (pyproject.toml, setup.py, Pipfile: not read), a
// `-r` include, a relative import that is not there, `python -m`/`-c`: the answer stays unknown.

const PYTHON = /^python(\d+(\.\d+)?)?$/;
/** Installs (or may install) a handler: a mention of SIGTERM, any signal.signal(…) call, asyncio's add_signal_handler. */
const HANDLES = /SIGTERM|signal\.signal\s*\(|add_signal_handler/;
/**
 * Dependencies that handle SIGTERM themselves: servers and workers whose own loop installs a handler
 * (gunicorn, uvicorn, hypercorn, daphne, granian; aiohttp's run_app; Sanic; Celery, RQ, Dramatiq, Huey,
 * arq; Twisted's reactor and Scrapy on it; Streamlit; kopf; Faust), and anything named for shutdown or signals.
 */
const HANDLER_DEPS = /^(gunicorn|uvicorn|hypercorn|daphne|granian|aiohttp|sanic|celery|rq|dramatiq|huey|arq|twisted|scrapy|streamlit|kopf|faust(-streaming)?)$|graceful|shutdown|signal/;
const OTHER_MANIFESTS = ['pyproject.toml', 'setup.py', 'setup.cfg', 'Pipfile'];
const MAX_FILES = 200;

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

/** The script python runs: the first word that is not an option; undefined for -m, -c, stdin. */
function scriptOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-') return undefined;
    if (a.startsWith('--')) {
      if (a === '--check-hash-based-pycs') i++;
      continue;
    }
    if (!a.startsWith('-')) return a;
    // a cluster of one-letter options (-uB); -W and -X take the rest of the word or the next word
    for (let j = 1; j < a.length; j++) {
      const o = a[j]!;
      if (o === 'c' || o === 'm') return undefined;
      if (o === 'W' || o === 'X') {
        if (j === a.length - 1) i++;
        break;
      }
    }
  }
  return undefined;
}

/** `from .x import (a, b)` (names may span lines only inside parentheses) or `import x.y as z, w`. */
const IMPORT = /^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[\w \t,*]+)|import[ \t]+([\w. \t,]+))[ \t]*(?:#.*)?$/gm;

/** Local module files an import names, relative to the importing file's directory (`from . import x` too). */
function importedFiles(file: string, text: string): { files: string[]; missing: boolean } {
  const files: string[] = [];
  let missing = false;
  const dirOf = (dots: number) => { let d = dirname(file); for (let i = 1; i < dots; i++) d = dirname(d); return d; };
  const moduleFile = (dir: string, dotted: string) => {
    const p = join(dir, ...dotted.split('.'));
    return [`${p}.py`, join(p, '__init__.py')].find(isFile);
  };
  for (const m of text.matchAll(IMPORT)) {
    const [, dots = '', from, names, plain] = m;
    if (plain !== undefined) {
      for (const spec of plain.split(',').map((s) => s.trim().split(/\s+/)[0]!).filter(Boolean)) {
        const f = moduleFile(dirname(file), spec);
        if (f) files.push(f);
      }
      continue;
    }
    const dir = dots ? dirOf(dots.length) : dirname(file);
    const base = from ? moduleFile(dir, from) : undefined;
    if (base) files.push(base);
    // `from pkg import mod` / `from . import mod`: the names may be modules of the package
    const pkgDir = from ? join(dir, ...from.split('.')) : dir;
    for (const n of (names ?? '').replace(/[()]/g, '').split(',').map((s) => s.trim().split(/\s+/)[0]!).filter((s) => s && s !== '*')) {
      const f = moduleFile(pkgDir, n);
      if (f) files.push(f);
    }
    if (dots && !base && !from) continue; // `from . import x` with x a name of __init__.py
    if (dots && from && !base) missing = true; // a relative module that is not in the build context
  }
  return { files, missing };
}

/** The entry and the app's own modules it reaches, or undefined when a relative import is not in the build context. */
function appModules(entry: string): string[] | undefined {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length && seen.size <= MAX_FILES) {
    const file = queue.shift()!;
    const { files, missing } = importedFiles(file, readFileSync(file, 'utf8'));
    if (missing) return undefined;
    for (const f of files) {
      if (!seen.has(f)) {
        seen.add(f);
        queue.push(f);
      }
    }
  }
  return seen.size <= MAX_FILES ? [...seen] : undefined;
}

/** Distribution names of a requirements file, lowercased; undefined when it includes another (`-r`, `-c`, `-e`). */
function requirements(file: string): string[] | undefined {
  const names: string[] = [];
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    if (line.startsWith('-')) {
      if (/^--?(r|c|e|requirement|constraint|editable)\b/.test(line)) return undefined;
      continue; // --index-url, --hash, …
    }
    const name = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(line)?.[0];
    if (name) names.push(name.toLowerCase().replace(/_/g, '-'));
  }
  return names;
}

/** `not-handled` with the reason when python runs an app whose sources never handle SIGTERM; undefined when that cannot be known. */
export function pythonSigterm(program: string, args: readonly string[], df: DockerfileInfo | undefined): { sigterm: 'not-handled'; sigtermWhy: string } | undefined {
  if (!PYTHON.test(program) || !df?.findFile) return undefined;
  const script = scriptOf(args);
  const entry = script === undefined ? undefined : df.findFile(script);
  if (!entry || OTHER_MANIFESTS.some((n) => df.findFile!(n))) return undefined;
  const reqFile = df.findFile('requirements.txt');
  const deps = reqFile ? requirements(reqFile) : undefined;
  if (!deps || deps.some((d) => HANDLER_DEPS.test(d))) return undefined;
  const modules = appModules(entry);
  if (!modules || modules.some((f) => HANDLES.test(readFileSync(f, 'utf8')))) return undefined;
  const others = modules.slice(1).map((f) => basename(f));
  return {
    sigterm: 'not-handled',
    sigtermWhy: `${program} runs ${basename(entry)} as PID 1; ${others.length ? `neither it nor the ${others.length} module(s) of the app it imports (${others.join(', ')}) installs a SIGTERM handler` : 'it installs no SIGTERM handler'} (none mentions SIGTERM or calls signal.signal), no dependency in requirements.txt is one known to, and Python leaves SIGTERM at its default action, which the kernel does not deliver to a PID 1`,
  };
}
