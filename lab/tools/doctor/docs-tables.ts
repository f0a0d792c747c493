import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS, type LabErrorCode } from '../../../common/errors.js';
import { RULES, type RuleId } from './catalog.js';
import { APP_IDLE_TIMEOUTS, CLIENT_IDLE_TIMEOUTS, PROXY_IDLE_TIMEOUTS } from './idle-timeouts.js';
import { LB_PROFILES } from './lb-profiles.js';
import { LINTERS, PARITY } from './parity.js';
import { preStopFor } from './sizing.js';

// The tables of docs/doctor.md that come from data: the rule catalogue with its parity, the
// load-balancer profiles, the error codes. `node dist/lab/tools/doctor/docs-tables.js --write`
// rewrites them between their markers; test/doctor/docs.test.ts fails when the doc drifts.

/** Every code `doctor` can exit 2 with (test/doctor/docs.test.ts checks the sources throw no other). */
export const DOCTOR_ERROR_CODES: readonly LabErrorCode[] = [
  'LAB_BAD_OPTION', 'LAB_UNREADABLE_FILE', 'LAB_NO_DOCUMENTS', 'LAB_BAD_YAML', 'LAB_YAML_ALIASES', 'LAB_HELM_TEMPLATE',
  'LAB_NO_KIND', 'LAB_BAD_DOCKERFILE', 'LAB_MISSING_TOOL', 'LAB_BAD_MANIFEST',
];

const cell = (s: string) => s.replace(/\|/g, '\\|');

function rules(): string {
  const head = ['| id | lever | severity | title | kube-linter | kube-score | Polaris |', '|---|---|---|---|---|---|---|'];
  const rows = (Object.keys(RULES) as RuleId[]).map((id) => {
    const r = RULES[id];
    const p = PARITY[id];
    const same = LINTERS.map((l) => (p[l]?.length ? p[l]!.map((n) => `\`${n}\``).join(', ') : '—'));
    return `| \`${id}\` | ${r.lever} | ${r.severity} | ${cell(r.title)} | ${same.join(' | ')} |`;
  });
  const none = (Object.keys(RULES) as RuleId[]).filter((id) => !LINTERS.some((l) => PARITY[id][l]?.length));
  return [...head, ...rows, '', `None of the three has: ${none.map((id) => `\`${id}\``).join(', ')}.`].join('\n');
}

function profiles(): string {
  const head = ['| `--lb` | deregistration delay p99 | preStop it sizes | what the number is made of | sources |', '|---|---|---|---|---|'];
  return [...head, ...LB_PROFILES.map((p) => `| \`${p.id}\` | ${p.seconds} s | ${preStopFor(p.seconds)} s | ${cell(p.basis)} | ${p.sources.map((s, i) => `[${i + 1}](${s})`).join(' ')} |`)].join('\n');
}

function idleTimeouts(): string {
  const head = ['| hop | side | idle timeout | where it is set | sources |', '|---|---|---|---|---|'];
  const row = (side: string) => (t: { id: string; seconds: number; basis: string; sources: string[] }) =>
    `| \`${t.id}\` | ${side} | ${t.seconds} s | ${cell(t.basis)} | ${t.sources.map((x, i) => `[${i + 1}](${x})`).join(' ')} |`;
  return [...head, ...PROXY_IDLE_TIMEOUTS.map(row('proxy')), ...CLIENT_IDLE_TIMEOUTS.map(row('client')), ...APP_IDLE_TIMEOUTS.map(row('app'))].join('\n');
}

function codes(): string {
  return ['| code | meaning |', '|---|---|', ...DOCTOR_ERROR_CODES.map((c) => `| \`${c}\` | ${cell(ERRORS[c])} |`)].join('\n');
}

export const DOC_TABLES: Record<string, () => string> = { rules, profiles, 'idle-timeouts': idleTimeouts, codes };

/** The doc with every generated block replaced by its current rendering. */
export function renderDoc(doc: string): string {
  let out = doc;
  for (const [name, render] of Object.entries(DOC_TABLES)) {
    const re = new RegExp(`(<!-- generated:${name} -->)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!re.test(out)) throw new Error(`docs/doctor.md lacks the markers of the generated "${name}" table`);
    out = out.replace(re, (_m, a: string, b: string) => `${a}\n${render()}\n${b}`);
  }
  return out;
}

// run as a script (not when imported by the test): rewrite the doc in place
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1]) && process.argv.includes('--write')) {
  const file = 'docs/doctor.md';
  writeFileSync(file, renderDoc(readFileSync(file, 'utf8')));
}
