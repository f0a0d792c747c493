import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { readFileSync, realpathSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/**
 * The commit the run was made from; `-dirty` when its code differs from it (read-only git calls).
 * Generated output and prose (results/, *.md) do not count: a run writes some of it, and neither is code.
 */
export function currentCommit(): string {
  try {
    // an installed package sits inside the user's repository: its HEAD is not the lab's code
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (realpathSync(top) !== realpathSync(REPO_ROOT)) return packageVersion();
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!results', ':!*.md'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return packageVersion();
  }
}

/** package.json's version (`--version`). */
export const labVersion = (): string => (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** `deploy-loss-lab@0.1.0`: what an installed copy (no git history of its own) records as its code. */
function packageVersion(): string {
  try {
    return `deploy-loss-lab@${labVersion()}`;
  } catch {
    return 'unknown';
  }
}

/** 2026-11-21T12:40:05.123Z → 20261121-124005, for directory names that sort by time. */
export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export interface StartProvenance { commit: string; date: string; node: string; cores: number; loadavgBefore: number[] }

/** 1/5/15-min load average, two decimals. */
export const loadNow = (): number[] => loadavg().map((v) => Math.round(v * 100) / 100);

/**
 * What an experiment records when it starts: the commit it runs (read at the start, so a commit made
 * while it runs is not named as its code), the date, Node, cores and the machine's load. Its end adds
 * `loadavgAfter: loadNow()`.
 */
export function startProvenance(now = new Date()): StartProvenance {
  return { commit: currentCommit(), date: now.toISOString(), node: process.version, cores: availableParallelism(), loadavgBefore: loadNow() };
}
