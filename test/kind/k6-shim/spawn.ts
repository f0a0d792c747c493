import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../helpers/proc.js';

// Runs loadtest/k6/script.js under the shim as a child process (its stdout + stderr = the k6 pod's
// log), with a scenario file and the env the lab's k6 Job sets.

const SHIM = join(ROOT, 'dist/test/kind/k6-shim');
export const K6_SCRIPT = join(ROOT, 'loadtest/k6/script.js');

export interface ShimRun { code: number | null; log: string; stderr: string }

/**
 * Starts the script; `onLog` sees the combined output as it grows (a pod log read while k6 runs).
 * `files` (a k6 ConfigMap's data: script.js, classify.js) replace the repository's script.
 */
export function startK6Shim(scenario: object, env: Record<string, string>, onLog: (log: string) => void = () => {}, files?: Record<string, string>): { done: Promise<ShimRun>; kill(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'k6-shim-'));
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario));
  for (const [name, text] of Object.entries(files ?? {})) if (/^[\w.-]+\.js$/.test(name)) writeFileSync(join(dir, name), text);
  const script = files?.['script.js'] ? join(dir, 'script.js') : K6_SCRIPT;
  const child = spawn(process.execPath, ['--import', join(SHIM, 'register.js'), join(SHIM, 'run.js'), script], {
    cwd: dir, env: { PATH: process.env.PATH ?? '', LAB_SCENARIO: join(dir, 'scenario.json'), K6_SHIM_FILES_DIR: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let stderr = '';
  const take = (b: Buffer) => { log += b.toString(); onLog(log); };
  child.stdout.on('data', take);
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); take(b); });
  const done = new Promise<ShimRun>((r) => child.on('close', (code) => { rmSync(dir, { recursive: true, force: true }); r({ code, log, stderr }); }));
  return { done, kill: () => { child.kill('SIGKILL'); } };
}

export function runK6Shim(scenario: object, env: Record<string, string>, timeoutMs = 120_000): Promise<ShimRun> {
  const run = startK6Shim(scenario, env);
  const timer = setTimeout(run.kill, timeoutMs);
  return run.done.finally(() => clearTimeout(timer));
}
