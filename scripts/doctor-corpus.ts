import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDoctor } from '../lab/tools/doctor/index.js';
import type { Finding, Severity } from '../lab/tools/doctor/types.js';

// The doctor's real-input corpus: public manifest sets under test/fixtures/real/<set>/ (each with a
// source.json: repository, commit, license, the files taken, and the doctor runs over them), and the
// reviewed verdict on every error and warning the doctor gives there (expectations.json).

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS_DIR = join(ROOT, 'test', 'fixtures', 'real');
export const EXPECTATIONS = join(CORPUS_DIR, 'expectations.json');

export interface CorpusRun { paths: string[]; dockerfile?: string }
export interface CorpusSet { name: string; repository: string; commit: string; license: string; paths: string[]; runs: CorpusRun[] }

/**
 * One error or warning on the corpus, located independently of the message text. Runs of a set that
 * read the same manifest (once alone, once with a service's Dockerfile) find the same thing: it counts once.
 */
export interface Observed { set: string; file: string; object: string; id: string; path: string; severity: Severity; why: string; fix: string }
export type Verdict = 'true' | 'false' | 'unreviewed';
/** `why` is the finding's text when it was last drafted, kept so the file reads on its own; matching ignores it. */
export interface Reviewed extends Omit<Observed, 'fix'> { verdict: Verdict; reason: string }

export function corpusSets(): CorpusSet[] {
  return readdirSync(CORPUS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().map((name) => {
    const src = JSON.parse(readFileSync(join(CORPUS_DIR, name, 'source.json'), 'utf8')) as Omit<CorpusSet, 'name'>;
    if (!/^[0-9a-f]{40}$/.test(src.commit) || !src.repository || !src.license || !src.runs?.length) throw new Error(`${name}/source.json: repository, 40-hex commit, license and runs are required`);
    return { name, ...src };
  });
}

/** A manifest object is named by Kind/name within its set (whether read from a file or a kustomize render); a Dockerfile by its file. */
export const keyOf = (f: Omit<Observed, 'severity' | 'why' | 'fix'>) => `${f.set} ${f.object.startsWith('Dockerfile/') ? `${f.file} ` : ''}${f.object} ${f.id} ${f.path}`;

export interface RunReport { set: CorpusSet; dir: string; run: CorpusRun; paths: string[]; findings: Finding[] }

/** Runs the doctor as a user would (defaults for everything not in source.json) on every run of every set. */
export async function runCorpus(sets = corpusSets()): Promise<RunReport[]> {
  const out: RunReport[] = [];
  for (const s of sets) {
    const dir = join(CORPUS_DIR, s.name);
    for (const r of s.runs) {
      const paths = r.paths.map((p) => join(dir, p));
      const report = await runDoctor({ paths, ...(r.dockerfile ? { dockerfile: join(dir, r.dockerfile) } : {}) });
      out.push({ set: s, dir, run: r, paths, findings: report.findings });
    }
  }
  return out;
}

/** The errors and warnings of every run, each once. */
export async function observe(reports?: RunReport[]): Promise<Observed[]> {
  const out = new Map<string, Observed>();
  for (const { set: s, dir, findings } of reports ?? await runCorpus()) {
    for (const f of findings.filter((x: Finding) => x.severity !== 'info')) {
      const o: Observed = { set: s.name, file: relative(dir, f.file), object: f.object, id: f.id, path: f.path, severity: f.severity, why: f.why, fix: f.fix };
      if (!out.has(keyOf(o))) out.set(keyOf(o), o);
    }
  }
  return [...out.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

export function readExpectations(): Reviewed[] {
  return existsSync(EXPECTATIONS) ? (JSON.parse(readFileSync(EXPECTATIONS, 'utf8')) as Reviewed[]) : [];
}

export interface Comparison { unexpected: Observed[]; missing: Reviewed[]; severityChanged: { observed: Observed; reviewed: Reviewed }[]; unreviewed: Reviewed[] }

export function compare(observed: Observed[], reviewed: Reviewed[]): Comparison {
  const byKey = new Map(reviewed.map((r) => [keyOf(r), r]));
  const seen = new Set(observed.map(keyOf));
  const severityChanged = observed.flatMap((o) => {
    const r = byKey.get(keyOf(o));
    return r && r.severity !== o.severity ? [{ observed: o, reviewed: r }] : [];
  });
  return {
    unexpected: observed.filter((o) => !byKey.has(keyOf(o))),
    missing: reviewed.filter((r) => !seen.has(keyOf(r))),
    severityChanged,
    unreviewed: reviewed.filter((r) => r.verdict !== 'true' && r.verdict !== 'false'),
  };
}

export interface Precision { truePositives: number; falsePositives: number; precision: number; byRule: Map<string, { tp: number; fp: number }> }

/** true ÷ (true + false) over the reviewed errors and warnings. */
export function precisionOf(reviewed: Reviewed[]): Precision {
  const byRule = new Map<string, { tp: number; fp: number }>();
  for (const r of reviewed) {
    const e = byRule.get(r.id) ?? { tp: 0, fp: 0 };
    if (r.verdict === 'true') e.tp++;
    else if (r.verdict === 'false') e.fp++;
    byRule.set(r.id, e);
  }
  const tp = [...byRule.values()].reduce((n, e) => n + e.tp, 0);
  const fp = [...byRule.values()].reduce((n, e) => n + e.fp, 0);
  return { truePositives: tp, falsePositives: fp, precision: tp + fp ? tp / (tp + fp) : NaN, byRule };
}
