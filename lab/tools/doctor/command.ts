import { basename } from 'node:path';

// What a container's argv means for PID 1: a shell wrapper, an init, a package manager, the program
// that finally runs. Hand-written word splitting: the scripts that matter are one-line `sh -c` commands.

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'busybox']);
/** Inits that forward signals to their child and reap zombies (Docker's --init is tini). */
const INITS = new Set(['tini', 'tini-static', 'docker-init', 'dumb-init', 'catatonit', 'init', 's6-svscan', 'supervisord']);
export const PACKAGE_MANAGERS = new Set(['npm', 'yarn', 'pnpm', 'npx']);

export interface CommandShape {
  argv: string[];
  /** a shell runs the command: `sh -c "<script>"` */
  shell?: { argvIndex: number; script: string; execs: boolean };
  init?: string;
  /** the program that ends up running the app, e.g. node, npm, redis-server */
  program: string;
  /** the words after the program */
  programArgs: string[];
}

const base = (p: string) => basename(p);

function words(s: string): string[] {
  return (s.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ''));
}

/** The last simple command of a script: what still runs when the shell gets SIGTERM. */
function lastCommand(script: string): string[] {
  const parts = script.split(/&&|\|\||;|\n|\|/).map((p) => p.trim()).filter(Boolean);
  const w = words(parts.at(-1) ?? '');
  while (w.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w[0]!)) w.shift(); // FOO=bar cmd
  return w;
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
    const flag = rest.findIndex((a, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(a));
    const script = flag > 0 ? rest[flag + 1] : undefined;
    if (script !== undefined) {
      const last = lastCommand(script);
      const execs = last[0] === 'exec';
      const cmd = execs ? last.slice(1) : last;
      shape.shell = { argvIndex: argv.length - rest.length, script, execs };
      shape.program = base(cmd[0] ?? '');
      shape.programArgs = cmd.slice(1);
      return shape;
    }
  }
  shape.program = base(prog ?? '');
  shape.programArgs = rest.slice(1);
  return shape;
}
