import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
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
 * A scratch folder the pods (run as nobody here) can reach, holding a copy of an app of its own
 * (test/check/app unless `from` says otherwise): podsLeft() then sees only this copy's pods while
 * other tests run the same app. `port` replaces test/check/app's 9000 in the copy's manifest.
 */
export function scratchWithApp(prefix: string, o: { from?: string; port?: number } = {}): { dir: string; app: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  const app = join(dir, 'app');
  cpSync(join(ROOT, o.from ?? 'test/check/app'), app, { recursive: true });
  const port = o.port;
  if (port !== undefined) {
    const yaml = join(app, 'deploy/app.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replaceAll('9000', String(port)));
  }
  return { dir, app };
}

/** A port the kernel picks as free on every address. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '0.0.0.0', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}
