import { readFileSync } from 'node:fs';
import { LabError } from '../../../common/errors.js';

// The CMD/ENTRYPOINT of a Dockerfile's final stage. Hand-written: no Dockerfile parser is among the
// project's dependencies, and only these two instructions (plus FROM and SHELL) matter here.
// Forms as in https://docs.docker.com/reference/dockerfile/#shell-and-exec-form: a JSON array is the
// exec form, anything else runs as `<SHELL> "<text>"` (default ["/bin/sh", "-c"]).

export interface ImageCommand {
  instruction: 'CMD' | 'ENTRYPOINT';
  form: 'exec' | 'shell';
  argv: string[]; // what actually runs: the shell form includes the shell
  text: string;
  line: number;
}

export interface DockerfileInfo {
  file: string;
  entrypoint?: ImageCommand;
  cmd?: ImageCommand;
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

export function parseDockerfile(file: string, text: string): DockerfileInfo {
  const info: DockerfileInfo = { file };
  let shell = ['/bin/sh', '-c'];
  let sawFrom = false;
  for (const ins of instructions(text)) {
    if (ins.keyword === 'FROM') {
      sawFrom = true;
      delete info.entrypoint;
      delete info.cmd;
      shell = ['/bin/sh', '-c'];
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

export function readDockerfile(file: string): DockerfileInfo {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LabError('LAB_UNREADABLE_FILE', `${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseDockerfile(file, text);
}
