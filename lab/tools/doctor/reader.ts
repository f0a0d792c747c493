import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LabError } from '../../../common/errors.js';
import { parseObjects, type K8sObject } from './documents.js';

// Reads what the user points the doctor at: files, `-` (stdin), plain directories of manifests, and
// kustomize directories (rendered with `kubectl kustomize`, which bundles kustomize, when kubectl is on PATH).

const KUSTOMIZATION = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const MANIFEST_EXT = /\.(ya?ml|json)$/i;
const KUSTOMIZE_TIMEOUT_MS = 60_000;

function readText(file: string, display: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new LabError('LAB_UNREADABLE_FILE', `${display}: ${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}`.trim(), { cause: e });
  }
}

export function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, tool)));
}

function renderKustomize(dir: string): string {
  if (!onPath('kubectl')) {
    throw new LabError('LAB_MISSING_TOOL', `${dir} is a kustomize directory and kubectl is not on PATH: render it first `
      + `(\`kubectl kustomize ${dir} > rendered.yaml\`, or \`make render\` in this repository) and pass the rendered file`);
  }
  try {
    return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: KUSTOMIZE_TIMEOUT_MS, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0];
    throw new LabError('LAB_BAD_MANIFEST', `${dir}: \`kubectl kustomize\` failed: ${stderr || (e as Error).message}`, { cause: e });
  }
}

function readDirectory(dir: string): K8sObject[] {
  if (KUSTOMIZATION.some((k) => existsSync(join(dir, k)))) return parseObjects(dir, renderKustomize(dir));
  const files = readdirSync(dir).filter((f) => MANIFEST_EXT.test(f)).sort();
  if (!files.length) throw new LabError('LAB_UNREADABLE_FILE', `${dir}: a directory with neither a kustomization nor any .yaml/.yml/.json file`);
  return files.flatMap((f) => parseObjects(join(dir, f), readText(join(dir, f), join(dir, f))));
}

function readInput(p: string): K8sObject[] {
  if (p === '-') return parseObjects('<stdin>', readText('-', '<stdin>'));
  let isDir: boolean;
  try {
    isDir = statSync(p).isDirectory();
  } catch (e) {
    throw new LabError('LAB_UNREADABLE_FILE', `${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { cause: e });
  }
  return isDir ? readDirectory(p) : parseObjects(p, readText(p, p));
}

/**
 * Every object of every input, in input order. Throws LabError (naming the file) on the first bad
 * input, and on an input without a single object: an empty file or stdin is what a failed render
 * (`kubectl kustomize … | doctor -`) leaves, and reading it as "no findings" would pass it green.
 */
export function readInputs(paths: readonly string[]): K8sObject[] {
  if (!paths.length) throw new LabError('LAB_BAD_OPTION', 'doctor needs at least one file, directory or - (stdin)');
  return paths.flatMap((p) => {
    const objects = readInput(p);
    if (!objects.length) {
      const name = p === '-' ? 'stdin' : p;
      throw new LabError('LAB_NO_DOCUMENTS', `${name} is empty, or only comments and \`---\`${p === '-' ? ': did the command piping into doctor fail?' : ''}`);
    }
    return objects;
  });
}
