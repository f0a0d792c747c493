import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceBlock } from '../lab/support/generated-block.js';
import { compare, corpusSets, EXPECTATIONS, keyOf, observe, precisionOf, readExpectations, ROOT, type Reviewed } from './doctor-corpus.js';

// `npm run doctor:precision`: runs the doctor on the real corpus, checks every error and warning against
// its review (test/fixtures/real/expectations.json), and regenerates the precision block of docs/doctor.md.
// `--draft` adds findings nobody reviewed yet as "unreviewed" (and drops reviews of findings that are gone)
// so they can be judged by hand, and refreshes the finding text beside each verdict; it never writes a verdict.
// Exit: 0 written, 1 the findings differ from the review (listed; nothing written).

const DOC = join(ROOT, 'docs', 'doctor.md');

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** One line per rule and object: a pod's containers share their reason. */
function groupFalse(fps: Reviewed[]): string[] {
  const groups = new Map<string, { r: Reviewed; n: number }>();
  for (const r of fps) {
    const k = `${r.id} ${r.set} ${r.object}`;
    const g = groups.get(k);
    if (g) g.n++;
    else groups.set(k, { r, n: 1 });
  }
  return [...groups.values()].map(({ r, n }) => `- \`${r.id}\`${n > 1 ? ` ×${n}` : ''} on ${r.set} \`${r.object}\`: ${r.reason}`);
}

function block(reviewed: Reviewed[]): string {
  const sets = corpusSets();
  const p = precisionOf(reviewed);
  const rules = [...p.byRule.entries()].sort(([a], [b]) => a.localeCompare(b));
  const fps = reviewed.filter((r) => r.verdict === 'false');
  return [
    `${sets.length} public manifest sets, ${sets.reduce((n, s) => n + s.runs.length, 0)} doctor runs with default options (test/fixtures/real/; each error and warning reviewed in expectations.json).`,
    '',
    `Precision over errors and warnings: **${pct(p.precision)}** (${p.truePositives} true, ${p.falsePositives} false positives of ${p.truePositives + p.falsePositives})${p.precision < 0.95 ? ': below the project\'s goal of 95 %; the false positives below are the work left' : ''}.`,
    '',
    '| rule | true | false |',
    '|---|---|---|',
    ...rules.map(([id, e]) => `| \`${id}\` | ${e.tp} | ${e.fp} |`),
    '',
    fps.length ? 'False positives left (per object; ×n: that many containers or fields):' : 'No false positives left on this corpus.',
    ...groupFalse(fps),
    '',
    '| set | repository | commit |',
    '|---|---|---|',
    ...sets.map((s) => `| ${s.name} | ${s.repository.replace('https://github.com/', '')} | \`${s.commit.slice(0, 12)}\` |`),
    '',
  ].join('\n');
}


async function main(): Promise<number> {
  const observed = await observe();
  const reviewed = readExpectations();
  if (process.argv.includes('--draft')) {
    const old = new Map(reviewed.map((r) => [keyOf(r), r]));
    const next: Reviewed[] = observed.map(({ fix: _f, ...found }) => {
      // the finding's claim, without the lab's measured figures it cites (those move with every run)
      const o = { ...found, why: found.why.split(/; the lab's /)[0]! };
      const r = old.get(keyOf(o));
      return r ? { ...o, verdict: r.verdict, reason: r.reason } : { ...o, verdict: 'unreviewed', reason: '' };
    });
    writeFileSync(EXPECTATIONS, `${JSON.stringify(next, null, 2)}\n`);
    for (const o of observed.filter((x) => !old.has(keyOf(x)))) process.stdout.write(`new: ${keyOf(o)} [${o.severity}]\n  why: ${o.why}\n  fix: ${o.fix}\n`);
    for (const r of reviewed.filter((x) => !observed.some((o) => keyOf(o) === keyOf(x)))) process.stdout.write(`gone: ${keyOf(r)}\n`);
    return 0;
  }
  const c = compare(observed, reviewed);
  const problems = [
    ...c.unexpected.map((o) => `not reviewed: ${keyOf(o)} [${o.severity}] ${o.why}`),
    ...c.missing.map((r) => `reviewed but no longer found: ${keyOf(r)}`),
    ...c.severityChanged.map(({ observed: o, reviewed: r }) => `severity ${r.severity} → ${o.severity}: ${keyOf(o)}`),
    ...c.unreviewed.map((r) => `verdict missing: ${keyOf(r)}`),
  ];
  if (problems.length) {
    process.stderr.write(`${problems.join('\n')}\ndoctor:precision: the findings differ from ${EXPECTATIONS}; review them (--draft adds new ones as unreviewed)\n`);
    return 1;
  }
  if (!replaceBlock(DOC, 'doctor-precision', 'npm run doctor:precision', block(reviewed))) throw new Error(`${DOC}: no doctor-precision:begin … doctor-precision:end block`);
  const p = precisionOf(reviewed);
  process.stdout.write(`precision ${pct(p.precision)} (${p.truePositives} true, ${p.falsePositives} false); docs/doctor.md updated\n`);
  return 0;
}

process.exitCode = await main();
