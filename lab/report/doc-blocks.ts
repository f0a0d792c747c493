import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { LabError } from '../../common/errors.js';

// Named generated blocks in any doc. Everything between
//   <!-- generated:NAME (by `npm run lab -- report`; do not edit) -->
//   <!-- /generated:NAME -->
// is replaced by the generator registered under NAME, computed from the stored results; nothing else
// of the doc is touched. A report block whose name nobody generates is an error, not a silent skip;
// a `generated:NAME` block whose marker names another tool (doctor's tables) is that tool's.

export const blockBegin = (name: string) => `<!-- generated:${name} (by \`npm run lab -- report\`; do not edit) -->`;
export const blockEnd = (name: string) => `<!-- /generated:${name} -->`;
/** A whole block, markers included; group 1 is its name. */
export const BLOCK_PATTERN = /<!-- generated:([\w-]+)[^>]*-->[\s\S]*?<!-- \/generated:\1 -->/g;

export interface BlockContext {
  /** the results directory the block is computed from */
  resultsDir: string;
  /** a path under results/ (e.g. `runs/x/summary.json`) as a link from the doc being written */
  link: (pathUnderResults: string) => string;
}

export type BlockGenerator = (ctx: BlockContext) => string;

/** A block this report writes: its begin marker names `npm run lab -- report` (other tools write their own). */
const isReportBlock = (block: string): boolean => block.slice(0, block.indexOf('-->')).includes('npm run lab -- report');

/** Names of the generated blocks a doc holds, in order (whichever tool writes them). */
export function blocksIn(text: string): string[] {
  return [...text.matchAll(BLOCK_PATTERN)].map((m) => m[1]!);
}

/**
 * Regenerates every block of one doc (`root`/`file`); the doc's links to results/ are relative to
 * the doc. Returns the names written; throws LAB_UNKNOWN_BLOCK, before writing anything, when the
 * doc names a block no generator makes.
 */
export function updateDocBlocks(root: string, file: string, resultsDir: string, generators: Readonly<Record<string, BlockGenerator>>, only?: string): string[] {
  const path = join(root, file);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  // blocks another tool owns (e.g. doctor's tables: `<!-- generated:rules -->`) are left to it
  const names = [...text.matchAll(BLOCK_PATTERN)].filter((m) => isReportBlock(m[0])).map((m) => m[1]!);
  const unknown = only ? [] : names.filter((n) => !generators[n]);
  if (unknown.length) throw new LabError('LAB_UNKNOWN_BLOCK', `${file} has generated block(s) ${unknown.join(', ')} that no generator makes (known: ${Object.keys(generators).join(', ')})`);
  if (!names.length || (only && !names.includes(only))) return [];
  const ctx: BlockContext = { resultsDir, link: (p) => relative(dirname(path), join(root, 'results', p)) };
  const out = text.replace(BLOCK_PATTERN, (whole: string, name: string) => (!isReportBlock(whole) || (only && name !== only) ? whole : `${blockBegin(name)}\n${generators[name]!(ctx).trimEnd()}\n${blockEnd(name)}`));
  if (out !== text) writeFileSync(path, out);
  return names;
}
