import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCK_PATTERN } from './doc-blocks.js';

// "Prose never types a measured figure": the definition a test holds every doc to. A measured figure
// is a number a run produced; outside a generated block (lab/report/doc-blocks.ts) it may be stale
// the day after it was typed. The rules below say what looks like one; the allow-list names the few
// numbers that look like one but are not measured (configuration defaults, definitions), each with
// its reason. Code (fenced blocks and `inline code`), HTML comments and link targets are not prose.

export interface FigureRule { name: string; pattern: RegExp }

const NUM = String.raw`\d[\d,.\u202f ]*\d|\d`;
export const FIGURE_RULES: readonly FigureRule[] = [
  // 12 ms, 1.4 s, 240 req/s, 630/s, 9.88 %, 36–86 handshakes/s
  { name: 'number with a unit', pattern: new RegExp(String.raw`(?<![\w.])(?:${NUM})(?:\s*[–-]\s*(?:${NUM}))?(?:\s*(?:ms|req/s|/s|%|handshakes/s|connections/s)|\s(?:s|min))(?![\w/])`, 'g') },
  // 41 × 502, 6 SIGKILLs, 522 refused, 2 565 lost, 0 failed
  { name: 'count of a failure', pattern: new RegExp(String.raw`(?<![\w.])(?:${NUM})\s*(?:×\s*)?(?:failed|502s?|503s?|refused|resets?|SIGKILLs?|timeouts?|dial timeouts|duplicated|lost|cut|errors?)\b`, 'gi') },
  // refused 522, SIGKILLs 15, resets 48
  { name: 'failure word with a count', pattern: new RegExp(String.raw`\b(?:failed|refused|resets?|SIGKILLs?|duplicated|lost)\s*:?\s+(?:${NUM})(?![\w.])`, 'gi') },
  // 578 → 1598
  { name: 'before → after', pattern: new RegExp(String.raw`(?:${NUM})\s*(?:\S+\s*)?→\s*(?:${NUM})`, 'g') },
  // c801d88 (a run's commit)
  { name: 'commit hash', pattern: /(?<![\w/.-])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}(?!\w)/g },
  { name: 'load average', pattern: new RegExp(String.raw`load(?: average)?\s*(?:of\s*)?[≈~]?\s*(?:${NUM})`, 'gi') },
  // [584–830]: a range over repetitions
  { name: 'range over runs', pattern: new RegExp(String.raw`\[(?:${NUM})\s*[–-]\s*(?:${NUM})\]`, 'g') },
  { name: 'date of a run', pattern: /\b20\d\d-\d\d-\d\d(?!\d)/g },
];

/** A literal piece of one doc's text (or a pattern, for lines a tool writes) covering the figure, and why it is not measured. */
export interface Allowed { file: string; text: string | RegExp; reason: string }

/**
 * Numbers that look measured but are not: each entry is a literal piece of one doc's line that
 * covers the figure, and why it is not a measurement. Keep it short: a measured number belongs in a
 * generated block, not here.
 */
export const ALLOWED: readonly Allowed[] = [
  { file: 'README.md', text: '4× the default rate (800 req/s), 5 repetitions', reason: 'the stress command\'s parameters (STRESS_RATE_FACTOR × the scenario rate, STRESS_REPS), not a result' },
  { file: 'README.md', text: 'check\'s first pod ≤ 1 s', reason: 'bench:startup\'s targets, not results (its output is in its own generated block)' },
  { file: 'docs/benchmarks.md', text: 'check\'s first pod within 1 s', reason: 'bench:startup\'s target, not a result' },
  { file: 'docs/runbook.md', text: /ingress-nginx and AWS ALB keep 60 s, Google's front ends\s+600 s, Envoy 1 h/, reason: 'the proxies\' documented idle timeouts (sources in docs/doctor.md), not a run of this lab' },
  { file: 'docs/runbook.md', text: 'Node before v26 closes after 5 s', reason: 'Node\'s documented keepAliveTimeout default before v26' },
  { file: 'docs/runbook.md', text: '`CLOSE_JITTER_MS`, 500 ms here', reason: 'the configured jitter window of the surge component' },
  { file: 'docs/runbook.md', text: 'ingress-nginx backend sync ~1 s', reason: 'a documented property of ingress-nginx, not a run of this lab' },
  { file: 'docs/runbook.md', text: '`--iptables-min-sync-period` 1 s', reason: 'kube-proxy\'s documented default' },
  { file: 'docs/runbook.md', text: 'sleep D + 1 s', reason: 'the sizing rule (D + 1 s), not a measurement' },
  { file: 'docs/runbook.md', text: 'with D = 20 s', reason: 'the quick run\'s parameter (--deregistration-s 20)' },
  { file: 'docs/runbook.md', text: 'not the lab\'s 1 s model', reason: 'the local target\'s propagation delay parameter (propagationDelayMs default)' },
  { file: 'docs/runbook.md', text: '`after` has 0 failed requests in the deploy window and 0 lost/duplicated', reason: 'the pass criterion of the checklist, not a result' },
  { file: 'docs/runbook.md', text: 'preStop 601 s, deadline 8 s, grace 611 s', reason: 'the overrides the rule gives for D = 600 s (lab/experiments/long-lived/manifest.ts)' },
  { file: 'docs/runbook.md', text: 'with a 600 s deregistration delay', reason: 'the experiment\'s parameter (--deregistration-s 600)' },
  { file: 'docs/runbook.md', text: 'fit the 8 s deadline', reason: 'the configured drain deadline of the long run' },
  { file: 'docs/runbook.md', text: 'and a 600 s deregistration delay', reason: 'the experiment\'s parameter (section title)' },
  { file: 'docs/runbook.md', text: 'under 14 min', reason: 'a design bound of the long run, not a result' },
  { file: 'docs/runbook.md', text: 'at a\n3 s propagation delay', reason: 'the sweep\'s parameter' },
  { file: 'docs/runbook.md', text: 'with a 25 % margin', reason: 'tune\'s fixed margin (lab/experiments/tune/recommend.ts)' },
  { file: 'docs/runbook.md', text: 'capped 1 s before the shutdown', reason: 'the client-window close\'s configured cap (SHUTDOWN_DEADLINE_MS − 1 s, service/env.ts)' },
  { file: 'docs/runbook.md', text: /undici: the announced timeout minus 2 s; ingress-nginx and ALB: 60 s/, reason: 'documented client defaults (undici\'s keepAliveTimeoutThreshold, ingress-nginx\'s upstream-keepalive-timeout, ALB\'s idle timeout), not a run of this lab' },
  { file: 'docs/runbook.md', text: '(undici: the announced timeout minus 2 s)', reason: 'undici\'s documented keepAliveTimeoutThreshold default' },
  { file: 'docs/local-vs-kind.md', text: '78f581c "increase iptables sync period"', reason: 'a Kubernetes commit cited as the source of a default, not a run of this lab' },
  { file: 'docs/local-vs-kind.md', text: '0 → 1', reason: 'maxUnavailable rounding (a rule of the rollout algorithm), not a measurement' },
  { file: 'docs/local-vs-kind.md', text: '15 s → 504', reason: 'Envoy\'s documented default timeout and the status it returns' },
  { file: 'docs/tune.md', text: '0 failed required', reason: 'the verification\'s pass criterion, not a result' },
  { file: 'docs/hot-reload.md', text: '`CONFIG_DEBOUNCE_MS` (100 ms)', reason: 'a configuration default' },
  { file: 'docs/hot-reload.md', text: 'a 1500 ms default keeps sleeping 1500 ms', reason: 'a request parameter\'s default, used as an example' },
  { file: 'docs/hot-reload.md', text: 'target under 5 ms', reason: 'the issue\'s target, not a result' },
  { file: 'docs/hot-reload.md', text: '(target: within 10 %)', reason: 'the issue\'s target, not a result' },
  { file: 'docs/benchmarks.md', text: 'costs under 15 % jobs/s', reason: 'the issue\'s target, not a result' },
  { file: 'docs/benchmarks.md', text: 'costs under 3 %', reason: 'the issue\'s target, not a result' },
  { file: 'docs/benchmarks.md', text: /^Command: `npm run bench:reload`.*$/m, reason: 'the provenance line bench/reload.ts writes with its output (the tool\'s own generator)' },
];

/**
 * Reference docs: their numbers with units are settings, defaults and definitions (a probe period, a
 * timeout, a sampling interval), so only the other rules apply to them — a failure count, a
 * before → after, a run's commit, a load average, a range over runs or a date still counts.
 */
export const REFERENCE_DOCS: Readonly<Record<string, string>> = {
  'docs/architecture.md': 'module contracts, environment defaults and timeouts',
  'docs/manifests.md': 'the manifests\' settings and timing budget',
  'docs/service.md': 'routes, environment defaults and shutdown states',
  'docs/worker.md': 'environment defaults and shutdown states',
  'docs/local-vs-kind.md': 'what the local target models and its documented defaults',
  'docs/results-guide.md': 'definitions of the columns (sampling intervals, bounds)',
  'docs/doctor.md': 'rules and the thresholds they check',
  'docs/tune.md': 'how tune sizes preStop, drain and grace (its rules and margins)',
  'docs/check.md': 'check\'s phases, coverage tolerances, timeouts and budgets (settings; its results are in results/check/)',
  'docs/kind.md': 'the cluster scenario\'s phase lengths and sampling intervals (settings)',
};

export interface FigureHit { file: string; line: number; rule: string; text: string; context: string }

/** The prose of a doc, with code, comments, link targets and generated blocks blanked (offsets kept). */
export function proseOf(text: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  return text
    .replace(BLOCK_PATTERN, blank)
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/^(```|~~~)[\s\S]*?^\1/gm, blank)
    .replace(/`[^`]*`/g, blank)
    .replace(/\]\([^)\s]*\)/g, blank);
}

/** Every measured-looking figure of one doc outside its generated blocks that the allow-list does not cover. */
export function scanDoc(file: string, text: string, allowed: readonly Allowed[] = ALLOWED): FigureHit[] {
  const prose = proseOf(text);
  const covers = allowed.filter((a) => a.file === file).flatMap((a) => {
    const spans: Array<[number, number]> = [];
    if (typeof a.text !== 'string') {
      for (const m of text.matchAll(new RegExp(a.text.source, `${a.text.flags.replace('g', '')}g`))) spans.push([m.index!, m.index! + m[0].length]);
      return spans;
    }
    for (let i = text.indexOf(a.text); i >= 0; i = text.indexOf(a.text, i + 1)) spans.push([i, i + a.text.length]);
    return spans;
  });
  const hits: FigureHit[] = [];
  const seen = new Set<number>();
  for (const rule of FIGURE_RULES) {
    if (REFERENCE_DOCS[file] && rule.name === 'number with a unit') continue;
    for (const m of prose.matchAll(rule.pattern)) {
      const text0 = m[0].trim();
      if (!/\d/.test(text0)) continue;
      const start = m.index! + m[0].indexOf(text0);
      const end = start + text0.length;
      if (covers.some(([a, b]) => a <= start && end <= b)) continue;
      if (seen.has(start)) continue;
      seen.add(start);
      const line = text.slice(0, start).split('\n').length;
      hits.push({ file, line, rule: rule.name, text: text0, context: text.split('\n')[line - 1]!.trim().slice(0, 160) });
    }
  }
  return hits.sort((a, b) => a.line - b.line);
}

/** README.md and docs/*.md of a repository checkout. */
export function docFiles(root: string): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

export function scanDocs(root: string, files = docFiles(root)): FigureHit[] {
  return files.flatMap((f) => scanDoc(f, readFileSync(join(root, f), 'utf8')));
}
