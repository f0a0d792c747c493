import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { LabError } from '../../../common/errors.js';
import { TRAPS_TERM } from './command.js';
import type { PackageJson } from './package-scripts.js';

// The CMD/ENTRYPOINT of a Dockerfile's final stage. Hand-written: no Dockerfile parser is among the
// project's dependencies, and only these two instructions (plus FROM and SHELL) matter here.
// Forms as in https://docs.docker.com/reference/dockerfile/#shell-and-exec-form: a JSON array is the
// exec form, anything else runs as `<SHELL> "<text>"` (default ["/bin/sh", "-c"]).
// The build context is the Dockerfile's directory (docker build's default) unless given (skaffold.yaml's
// `context`): package.json and an ENTRYPOINT script are looked up there, by the COPY/ADD sources of the
// final stage, then by name.

export interface ImageCommand {
  instruction: 'CMD' | 'ENTRYPOINT';
  form: 'exec' | 'shell';
  argv: string[]; // what actually runs: the shell form includes the shell
  text: string;
  line: number;
}

export interface EntrypointScript {
  file: string;
  /** its last command is `exec "$@"`: CMD (or the manifest's args) replaces the script as PID 1 */
  passesThrough: boolean;
  /** its last command line, for the findings' text */
  lastLine: string;
  /** it traps TERM: the script handles SIGTERM itself (forwards it, waits for its child) */
  trapsTerm: boolean;
}

export interface DockerfileInfo {
  file: string;
  /** the final stage's base image, e.g. node:20-alpine (which /bin/sh it has) */
  image?: string;
  entrypoint?: ImageCommand;
  cmd?: ImageCommand;
  /** package.json of the build context, for what `npm start` runs */
  packageJson?: PackageJson;
  /** the ENTRYPOINT, when it is a script found in the build context */
  entrypointScript?: EntrypointScript;
  /** CMD's program, when it is a script found in the build context */
  cmdScript?: EntrypointScript;
  /** a file of the build context by its path in the image (the app's own sources: node-sigterm.ts) */
  findFile?: (name: string) => string | undefined;
}

interface Instruction { keyword: string; rest: string; line: number }

function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let buf = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!buf && (/^\s*#/.test(line) || !line.trim())) return; // comment or blank between instructions
    if (buf && /^\s*#/.test(line)) return; // comments inside a continuation are dropped by Docker too
    if (!buf) start = i + 1;
    if (line.endsWith('\\')) {
      buf += `${line.slice(0, -1)} `;
      return;
    }
    buf += line;
    const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(buf);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), rest: m[2]!.trim(), line: start });
    buf = '';
  });
  return out;
}

function asExecForm(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(rest) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined; // Docker runs an invalid JSON array in shell form as well
  }
}

/** Sources of a COPY/ADD instruction (not `--from` another stage: those files are built, not in the context). */
function copySources(rest: string): string[] {
  const exec = asExecForm(rest);
  const w = exec ?? rest.split(/\s+/).filter(Boolean);
  if (w.some((x) => /^--from=/.test(x))) return [];
  const args = w.filter((x) => !x.startsWith('--'));
  return args.slice(0, -1);
}

export function parseDockerfile(file: string, text: string): DockerfileInfo & { copied: string[] } {
  const info: DockerfileInfo & { copied: string[] } = { file, copied: [] };
  let shell = ['/bin/sh', '-c'];
  let sawFrom = false;
  for (const ins of instructions(text)) {
    if (ins.keyword === 'FROM') {
      sawFrom = true;
      delete info.entrypoint;
      delete info.cmd;
      info.copied = [];
      const image = ins.rest.split(/\s+/).find((x) => !x.startsWith('--'));
      if (image) info.image = image;
      shell = ['/bin/sh', '-c'];
    } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      info.copied.push(...copySources(ins.rest));
    } else if (ins.keyword === 'SHELL') {
      shell = asExecForm(ins.rest) ?? shell;
    } else if (ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT') {
      const exec = asExecForm(ins.rest);
      const cmd: ImageCommand = { instruction: ins.keyword, form: exec ? 'exec' : 'shell', argv: exec ?? [...shell, ins.rest], text: ins.rest, line: ins.line };
      if (ins.keyword === 'CMD') info.cmd = cmd;
      else info.entrypoint = cmd;
    }
  }
  if (!sawFrom) throw new LabError('LAB_BAD_DOCKERFILE', `${file}: not a Dockerfile (no FROM instruction)`);
  return info;
}

/** A file of the build context by its name in the image: a COPY source with that name, else the same name at the context root. */
function contextFile(context: string, copied: string[], name: string): string | undefined {
  const candidates = [...copied.filter((src) => basename(src) === basename(name)), ...(isAbsolute(name) ? [] : [name]), basename(name)];
  return candidates.map((src) => resolve(context, src)).find((f) => existsSync(f) && statSync(f).isFile());
}

function readPackageJson(file: string): PackageJson | undefined {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { scripts?: unknown; dependencies?: unknown; optionalDependencies?: unknown };
    const scripts = json.scripts;
    const ok = typeof scripts === 'object' && scripts !== null;
    const names = (o: unknown) => (typeof o === 'object' && o !== null ? Object.keys(o) : []);
    return { file: basename(file), scripts: ok ? Object.fromEntries(Object.entries(scripts).filter(([, v]) => typeof v === 'string')) : {},
      dependencies: [...names(json.dependencies), ...names(json.optionalDependencies)] };
  } catch {
    return undefined; // not JSON: npm itself refuses it, which is not a question of PID 1
  }
}

const EXEC_ARGS = /^exec\s+"?\$(@|\{@\})"?\s*$/;

function readEntrypointScript(file: string): EntrypointScript | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (!text.startsWith('#!')) return undefined; // a binary, not a script
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const lastLine = lines.at(-1) ?? '';
  return { file: basename(file), passesThrough: EXEC_ARGS.test(lastLine), lastLine, trapsTerm: TRAPS_TERM.test(text) };
}

export function readDockerfile(file: string, context = dirname(file)): DockerfileInfo {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LabError('LAB_UNREADABLE_FILE', `${file}: ${(e as Error).message}`, { cause: e });
  }
  const { copied, ...info } = parseDockerfile(file, text);
  const pkg = contextFile(context, copied, 'package.json');
  const packageJson = pkg ? readPackageJson(pkg) : undefined;
  if (packageJson) info.packageJson = packageJson;
  const scriptOf = (ic: ImageCommand | undefined) => {
    const first = ic?.form === 'exec' ? ic.argv[0] : undefined;
    if (first === undefined || !/\.(sh|bash)$|entrypoint|^start$|^run$/i.test(basename(first))) return undefined;
    const script = contextFile(context, copied, first);
    return script ? readEntrypointScript(script) : undefined;
  };
  info.findFile = (name) => contextFile(context, copied, name);
  const ep = scriptOf(info.entrypoint);
  if (ep) info.entrypointScript = ep;
  const cmd = scriptOf(info.cmd);
  if (cmd) info.cmdScript = cmd;
  return info;
}

/**
 * CMD of official base images a final stage often inherits unchanged (their Dockerfiles on
 * github.com/nginxinc/docker-nginx, docker-library/redis, docker-library/postgres; each ENTRYPOINT
 * script ends in `exec "$@"`). Other bases: unknown, and the rules say so.
 */
const BASE_IMAGE_CMD: ReadonlyArray<[RegExp, string[]]> = [
  [/^(docker\.io\/)?(library\/)?nginx(:|@|$)/, ['nginx', '-g', 'daemon off;']],
  [/^(docker\.io\/)?(library\/)?redis(:|@|$)/, ['redis-server']],
  [/^(docker\.io\/)?(library\/)?postgres(:|@|$)/, ['postgres']],
];

function baseImageCmd(image: string | undefined): string[] | undefined {
  return image === undefined ? undefined : BASE_IMAGE_CMD.find(([re]) => re.test(image))?.[1];
}

/**
 * The argv the image runs, as Docker composes it: ENTRYPOINT (exec form) + CMD, or the manifest's `args`
 * in place of CMD. An ENTRYPOINT script that ends in `exec "$@"` hands PID 1 to CMD, so it drops out.
 */
export function imageArgv(df: DockerfileInfo, args: string[] | undefined): string[] | undefined {
  const cmd = args ?? df.cmd?.argv ?? (df.entrypoint ? undefined : baseImageCmd(df.image)) ?? [];
  const ep = df.entrypoint;
  if (!ep) return cmd.length ? cmd : undefined;
  if (ep.form === 'shell') return ep.argv; // shell-form ENTRYPOINT ignores CMD and args
  if (df.entrypointScript?.passesThrough) {
    const rest = [...ep.argv.slice(1), ...cmd]; // ENTRYPOINT ["./entrypoint.sh", "npm", "start"] runs npm start
    if (rest.length) return rest;
  }
  return [...ep.argv, ...cmd];
}

