import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';

export interface CheckRun { code: number | null; stdout: string; stderr: string }

export interface CheckRunOptions {
  /** PATH for the CLI (a test may leave a tool out) */
  path?: string;
  /** called with all stderr so far, and the CLI's pid, as output arrives */
  onStderr?: (text: string, pid: number) => void;
  /** the protocol's full fixed phases instead of the short ones the tests use (LAB_CHECK_SHORT_PHASES) */
  fullPhases?: boolean;
}

/** The real `check` CLI from the repository root; SIGINT after 150 s so a hung run still ends. */
export function runCheck(args: string[], o: CheckRunOptions = {}): Promise<CheckRun> {
  return new Promise((resolve) => {
    const env: Record<string, string> = { PATH: o.path ?? process.env.PATH ?? '' };
    if (!o.fullPhases) env.LAB_CHECK_SHORT_PHASES = '1';
    const child = spawn(process.execPath, ['dist/lab/cli.js', 'check', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); o.onStderr?.(stderr, child.pid!); });
    const timer = setTimeout(() => child.kill('SIGINT'), 150_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Processes whose working directory is `dir`: pods a run left behind. */
export function podsLeft(dir: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readlinkSync(`/proc/${p}/cwd`) === dir; } catch { return false; }
  }).map(Number);
}

/**
 * A scratch folder the pods (run as nobody here) can reach, holding this file's own copy of
 * test/check/app: podsLeft() then sees only this file's pods while another file runs the same app.
 */
export function scratchWithApp(prefix: string): { dir: string; app: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  const app = join(dir, 'app');
  cpSync(join(ROOT, 'test/check/app'), app, { recursive: true });
  return { dir, app };
}
