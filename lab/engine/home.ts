import { isAbsolute, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './meta.js';

// Where a command writes when no --out / --results-dir says. From the lab's repository (`npm run lab`,
// make) that is its own results/ (scratch in .lab/); through the package's bin it is
// ./deploy-loss-results/ in the caller's directory: an installed package's own folder is not the
// user's to write into (it may be read-only, or an npx cache that disappears).

let callerHome: string | undefined;

/** The bin calls this once, before any command runs. */
export function useCallerHome(cwd: string = process.cwd()): void {
  callerHome = resolve(cwd, 'deploy-loss-results');
}

/** True when the command runs through the package's bin (results in the caller's directory). */
export const inCallerHome = (): boolean => callerHome !== undefined;

/** Default results directory. */
export const resultsHome = (): string => callerHome ?? join(REPO_ROOT, 'results');

/** Scratch space for pods' files and logs. */
export const scratchHome = (): string => (callerHome ? join(callerHome, '.scratch') : join(REPO_ROOT, '.lab'));

/** A path as a user typed it: relative to the caller's directory through the bin, to the repository in the lab. */
export const userPath = (p: string): string => resolve(base(), p);

/** A path as a record shows it: relative to the same base as userPath when inside it, else absolute (never `../../tmp/…`). */
export const shownPath = (p: string): string => {
  const r = relative(base(), p);
  return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? resolve(p) : r;
};

const base = () => (callerHome ? process.cwd() : REPO_ROOT);
