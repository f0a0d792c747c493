import { basename } from 'node:path';
import { simpleCommands } from './shell-words.js';

// What a container's argv means for PID 1: a shell wrapper, an init, a package manager, the program
// that finally runs. Words come from shell-words.ts; here only which command is last and how it runs
// (after a pipe, in the background), which decides whether a shell can exec it.

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'busybox']);
/** Inits that forward signals to their child and reap zombies (Docker's --init is tini). */
const INITS = new Set(['tini', 'tini-static', 'docker-init', 'dumb-init', 'catatonit', 'init', 's6-svscan', 'supervisord']);
export const PACKAGE_MANAGERS = new Set(['npm', 'yarn', 'pnpm', 'npx']);

export interface ShellScript {
  argvIndex: number;
  script: string;
  /** basename of the shell binary: sh, bash, dash, ash, busybox, … */
  binary: string;
  /** the last command is written with `exec` */
  execs: boolean;
  /** more than one command (`&&`, `;`, `||`, newline) */
  list: boolean;
  /** the last command cannot replace the shell: in a pipeline, backgrounded, or a compound/builtin word */
  lastNotExecable: boolean;
}

export interface CommandShape {
  argv: string[];
  /** a shell runs the command: `sh -c "<script>"` */
  shell?: ShellScript;
  init?: string;
  /** the program that ends up running the app, e.g. node, npm, redis-server */
  program: string;
  /** the words after the program */
  programArgs: string[];
}

const base = (p: string) => basename(p);

/** The words of a one-command line, quotes removed (POSIX rules: shell-words.ts). */
export function words(s: string): string[] {
  return simpleCommands(s)[0]?.words ?? [];
}

const SEPARATORS = /&&|\|\||;|\n|\|(?!\|)|&(?!&)/;
const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** Words after which no program follows: the shell itself runs what comes (or nothing can be exec'd). */
const NOT_EXECABLE = new Set(['done', 'fi', 'esac', '}', ')', 'wait', 'true', 'false', 'exit', 'trap', 'cd', 'export', 'set', 'echo']);

/** Quoted text and redirections like `2>&1` are not separators: blank them out before splitting. */
const mask = (s: string) => s.replace(/"[^"]*"|'[^']*'|\d*[<>]&\d*-?|&>/g, (m) => '_'.repeat(m.length));

/** The commands of a list, and how the last one runs: after a pipe, or the script ends with `&`. */
function splitList(script: string): { parts: string[]; piped: boolean; background: boolean } {
  const parts: string[] = [];
  let lastSeparator: string | undefined;
  const masked = mask(script);
  const sep = new RegExp(SEPARATORS.source, 'g');
  let from = 0;
  for (let m = sep.exec(masked); m; m = sep.exec(masked)) {
    const part = script.slice(from, m.index).trim();
    if (part) { parts.push(part); lastSeparator = m[0]; }
    from = m.index + m[0].length;
  }
  const tail = script.slice(from).trim();
  if (tail) parts.push(tail);
  return { parts, piped: Boolean(tail) && lastSeparator === '|', background: !tail && lastSeparator === '&' };
}

function parseScript(script: string): Omit<ShellScript, 'argvIndex' | 'binary'> & { last: string[] } {
  const { parts, piped, background } = splitList(script);
  const last = words(parts.at(-1) ?? '');
  while (last.length && ENV_ASSIGNMENT.test(last[0]!)) last.shift(); // FOO=bar cmd
  const execs = last[0] === 'exec';
  const lastNotExecable = !execs && (piped || background || !last.length || NOT_EXECABLE.has(last[0]!));
  return { script, execs, list: parts.length > 1, lastNotExecable, last: execs ? last.slice(1) : last };
}

function stripInit(argv: string[]): { init?: string; rest: string[] } {
  const first = argv[0];
  if (first === undefined || !INITS.has(base(first))) return { rest: argv };
  let i = 1;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    if (argv[i] === '--') { i++; break; }
    i++;
  }
  return { init: base(first), rest: argv.slice(i) };
}

export function shapeOf(argv: string[]): CommandShape {
  const { init, rest } = stripInit(argv);
  const shape: CommandShape = { argv, program: '', programArgs: [] };
  if (init) shape.init = init;
  const prog = rest[0];
  if (prog !== undefined && SHELLS.has(base(prog))) {
    const sub = base(prog) === 'busybox' && rest[1] && ['sh', 'ash'].includes(rest[1]) ? 2 : 1;
    const flag = rest.findIndex((a, i) => i >= sub && /^-[a-z]*c[a-z]*$/.test(a));
    const script = flag > 0 ? rest[flag + 1] : undefined;
    if (script !== undefined) {
      const { last, ...parsed } = parseScript(script);
      shape.shell = { argvIndex: argv.length - rest.length, binary: base(prog), ...parsed };
      shape.program = base(last[0] ?? '');
      shape.programArgs = last.slice(1);
      return shape;
    }
  }
  shape.program = base(prog ?? '');
  shape.programArgs = rest.slice(1);
  return shape;
}

/**
 * Which shell `sh` is, from the image name: busybox ash on Alpine and busybox images; otherwise unknown
 * (dash on Debian/Ubuntu-based images such as node:20 and node:20-slim; bash on RHEL/UBI).
 */
export function shellKind(binary: string, image: string | undefined): 'bash' | 'busybox' | 'dash' | 'unknown' {
  if (binary === 'bash') return 'bash';
  if (binary === 'dash') return 'dash';
  if (binary === 'ash' || binary === 'busybox') return 'busybox';
  if (binary === 'sh' && image !== undefined && /(^|[/:@_-])(alpine|busybox)/i.test(image)) return 'busybox';
  return 'unknown';
}

/**
 * Whether the shell of `sh -c "<script>"` stays PID 1 in front of the program. Measured here (unshare
 * --pid, /proc; see docs/doctor.md): dash 0.5.12 never execs, not even a single command; bash 5.2 and
 * busybox 1.35 ash exec the last simple command of the string (bash before 5.1 only a single command).
 */
export function shellStaysPid1(s: ShellScript, image: string | undefined): 'no' | 'yes' | 'bash-before-5.1' {
  if (s.execs) return 'no';
  if (s.lastNotExecable) return 'yes';
  const kind = shellKind(s.binary, image);
  if (kind === 'busybox') return 'no';
  if (kind === 'bash') return s.list ? 'bash-before-5.1' : 'no';
  return 'yes';
}

/** What each shell does with `-c`, for the findings' text. */
export function shellBehaviour(s: ShellScript, image: string | undefined): string {
  const kind = shellKind(s.binary, image);
  if (kind === 'dash') return 'dash never execs the command of `-c` (it stays PID 1 even for a single command)';
  if (kind === 'bash') return 'bash before 5.1 execs only a single simple command (5.1+ also the last command of a list)';
  if (kind === 'busybox') return 'busybox sh cannot exec a command in a pipeline, in the background, or a builtin';
  return `/bin/sh is dash on Debian- and Ubuntu-based images${image ? ` (the doctor cannot tell which ${image} is)` : ''}, and dash never execs the command of \`-c\`; busybox sh (Alpine) and bash exec the last simple command`;
}

/** `a && b` → `a && exec b`: the shell runs the first steps, then the app replaces it as PID 1. */
export function withExecLast(script: string): string {
  const { parts } = splitList(script);
  const last = parts.at(-1);
  if (last === undefined) return script;
  const at = script.lastIndexOf(last);
  const lead = /^(\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)/.exec(last)![1]!;
  return `${script.slice(0, at)}${lead}exec ${last.slice(lead.length)}${script.slice(at + last.length)}`.trim();
}

/**
 * A single simple command can be written as an exec-form array; a list cannot, nor a line with
 * redirections, globs or expansions (`$X` in double quotes too: exec form expands nothing).
 */
export function isSimple(script: string): boolean {
  const unquotedOrDouble = script.replace(/'[^']*'/g, (m) => '_'.repeat(m.length));
  return splitList(script).parts.length <= 1 && !/[|&;<>`$(){}*?]/.test(unquotedOrDouble.replace(/"/g, ''));
}

/** A shell script that traps TERM acts on SIGTERM itself (e.g. forwards it to its child and waits). */
export const TRAPS_TERM = /(^|[\s;&|])trap\s+[^\n]*\s(SIG)?TERM\b/m;
