import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseOptions, usage } from '../lab/engine/args.js';

// Prints the import graph of lab/ (or the folders given) and exits 1 on an import cycle, a computed
// import(), or a deployable folder (common/, service/, worker/) importing lab/. The TypeScript
// compiler's parser reads the imports (no regex guesses about comments or strings).
// Usage: node dist/scripts/import-graph.js [--repo DIR] [--dirs] [folder ...]   (default folder: lab); exit 2 on a bad option.

export interface ImportGraph {
  /** file (repo-relative .ts) → the repo files it imports */
  edges: Map<string, string[]>;
  /** `file: import(<expression>)` for every import() whose argument is not a string literal */
  computed: string[];
  /** each cycle once, as the list of files around it */
  cycles: string[][];
  /** `file → target` for deployable code importing lab/ */
  forbidden: string[];
}

const DEPLOYABLE = ['common/', 'service/', 'worker/'];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Import specifiers of one file; computed import() arguments are returned as text. */
function importsOf(file: string): { specs: string[]; computed: string[] } {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const specs: string[] = [];
  const computed: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) specs.push(n.moduleSpecifier.text);
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = n.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) specs.push(arg.text);
      else computed.push(arg ? arg.getText(src) : '');
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return { specs, computed };
}

function findCycles(edges: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const walk = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of edges.get(f) ?? []) {
      if (!edges.has(g)) continue;
      if (state.get(g) === 'open') {
        const cycle = stack.slice(stack.indexOf(g));
        const key = [...cycle].sort().join(' ');
        if (!seen.has(key)) { seen.add(key); cycles.push(cycle); }
      } else if (!state.has(g)) walk(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...edges.keys()].sort()) if (!state.has(f)) walk(f);
  return cycles;
}

export function importGraph(repo: string, folders: readonly string[] = ['lab']): ImportGraph {
  const edges = new Map<string, string[]>();
  const computed: string[] = [];
  const forbidden: string[] = [];
  const scanned = [...new Set([...folders, ...DEPLOYABLE.map((d) => d.slice(0, -1))])];
  for (const folder of scanned) {
    let files: string[];
    try { files = tsFiles(join(repo, folder)); } catch { continue; }
    for (const file of files) {
      const rel = relative(repo, file);
      const { specs, computed: dyn } = importsOf(file);
      const targets = specs.filter((s) => s.startsWith('.')).map((s) => relative(repo, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
      if (DEPLOYABLE.some((d) => rel.startsWith(d))) forbidden.push(...targets.filter((t) => t.startsWith('lab/')).map((t) => `${rel} → ${t}`));
      if (!folders.some((f) => rel.startsWith(`${f}/`))) continue;
      edges.set(rel, [...new Set(targets)].sort());
      computed.push(...dyn.map((d) => `${rel}: import(${d})`));
    }
  }
  return { edges, computed, cycles: findCycles(edges), forbidden };
}

/** Folder-level view: `lab/engine → lab/report, common` (a file's folder; other roots by their top folder). */
export function folderEdges(g: ImportGraph): Map<string, string[]> {
  const folderOf = (f: string) => (f.startsWith('lab/') ? dirname(f) : f.split('/')[0]!);
  const out = new Map<string, Set<string>>();
  for (const [f, ts_] of g.edges) {
    const from = folderOf(f);
    const set = out.get(from) ?? new Set<string>();
    for (const t of ts_) if (folderOf(t) !== from) set.add(folderOf(t));
    out.set(from, set);
  }
  return new Map([...out].sort().map(([k, v]) => [k, [...v].sort()]));
}

export function render(g: ImportGraph, dirs: boolean): string {
  const lines: string[] = [];
  const view = dirs ? folderEdges(g) : g.edges;
  for (const [from, to] of [...view].sort()) lines.push(`${from} → ${to.length ? to.join(', ') : '(nothing)'}`);
  lines.push('', `${g.edges.size} files, ${[...g.edges.values()].reduce((a, t) => a + t.length, 0)} imports; `
    + `${g.cycles.length} cycle(s), ${g.computed.length} computed import(s), ${g.forbidden.length} deployable→lab import(s)`);
  for (const c of g.cycles) lines.push(`CYCLE: ${[...c, c[0]].join(' → ')}`);
  for (const c of g.computed) lines.push(`COMPUTED IMPORT: ${c}`);
  for (const f of g.forbidden) lines.push(`DEPLOYABLE IMPORTS LAB: ${f}`);
  return lines.join('\n');
}

const OPTIONS = {
  repo: { type: 'string', arg: 'DIR', help: 'the repository to read (default: this one)' },
  dirs: { type: 'flag', help: 'one line per folder instead of per file' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;
const USAGE = usage('usage: node dist/scripts/import-graph.js [options] [folder ...]   (default folder: lab)', OPTIONS);

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseOptions(OPTIONS, argv, { positionals: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  const repo = resolve(values.repo ?? join(fileURLToPath(new URL('.', import.meta.url)), '../..'));
  const g = importGraph(repo, positionals.length ? positionals : ['lab']);
  process.stdout.write(`${render(g, values.dirs)}\n`);
  return g.cycles.length || g.computed.length || g.forbidden.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
