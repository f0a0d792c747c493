import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../engine/schema.js';
import { deadSpans } from './drift.js';
import { median } from './stats.js';
import { failures } from './summarize.js';

// The drift of `before` put to the test: older commits and the current one run back to back on one
// machine, interleaved (scripts/drift-back-to-back.sh writes results/drift-back-to-back/). If the code
// explained the drift, the commits would differ here as their stored batches do; if the machine did,
// they agree with each other and differ from their old batches together.

export const BACK_TO_BACK_DIR = 'drift-back-to-back';

interface Round { round: number; commit: string; started: string; load1: number; exit: number }

function rounds(dir: string): Round[] {
  const file = join(dir, 'rounds.csv');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => {
    const [round, commit, started, load1, exit] = l.split(',');
    return { round: Number(round), commit: commit!, started: started!, load1: Number(load1), exit: Number(exit) };
  });
}

const range = (xs: number[], f: (n: number) => string = String) => (xs.length ? `${f(median(xs))} [${f(Math.min(...xs))}–${f(Math.max(...xs))}]` : '—');
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function backToBackSection(resultsDir: string): string {
  const dir = join(resultsDir, BACK_TO_BACK_DIR);
  const rs = rounds(dir);
  if (rs.length === 0) return '';
  const commits = [...new Set(rs.map((r) => r.commit))];
  const rows = commits.map((commit) => {
    const runsDir = join(dir, commit, 'runs');
    const runs = existsSync(runsDir) ? readdirSync(runsDir).sort().filter((d) => existsSync(join(runsDir, d, 'summary.json'))) : [];
    const summaries = runs.map((d) => JSON.parse(readFileSync(join(runsDir, d, 'summary.json'), 'utf8')) as RunSummary);
    const spans = runs.map((d) => deadSpans(join(runsDir, d)));
    const mine = rs.filter((r) => r.commit === commit);
    const c = (k: 'http_502' | 'refused' | 'reset') => summaries.map((s) => s.windowCounts[k]);
    return {
      commit, runs: summaries.length, failedRounds: mine.filter((r) => r.exit !== 0).length, loads: mine.map((r) => r.load1),
      failed: summaries.map((s) => failures(s.windowCounts)), http502: c('http_502'), refused: c('refused'), reset: c('reset'),
      dead: spans.flatMap((x) => x.dead), listen: spans.flatMap((x) => x.listen),
    };
  });
  const first = rs.map((r) => r.started).sort()[0]!;
  const last = rs.map((r) => r.started).sort().at(-1)!;
  const loads = rs.map((r) => r.load1);
  const out = [
    '### Back to back on one machine', '',
    `\`scripts/drift-back-to-back.sh\`: \`before\` of each commit below built from its own tree and run on this machine, interleaved over ${Math.max(...rs.map((r) => r.round))} round(s) `
      + `(${first} … ${last}; 1-min load average ${Math.min(...loads)}–${Math.max(...loads)} at the runs' starts, so every commit met the same machine). `
      + 'The last commit is the current checkout, run with `--client node` (no client resends), as the older generators were. Median [min–max] over each commit\'s runs:', '',
    '| commit | runs | failed in window | 502 | refused | reset | per deploy: first new pod listed → last 502 | per new pod: start → listening (evidence) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.commit} | ${r.runs}${r.failedRounds ? ` (${r.failedRounds} failed to run)` : ''} | ${range(r.failed)} | ${range(r.http502)} | ${range(r.refused)} | ${range(r.reset)} | ${range(r.dead, secs)} | ${range(r.listen, secs)} |`),
    '',
  ];
  const med = rows.filter((r) => r.failed.length).map((r) => median(r.failed));
  if (med.length >= 2) {
    const spread = Math.max(...med) / Math.max(1, Math.min(...med));
    out.push(`The commits' medians are within a factor ${spread.toFixed(2)} of each other on the same machine. `
      + (spread < 1.35
        ? 'The code does not explain the drift between their stored batches: run side by side, the older commit fails as the newer one does, so what changed between the batches is the machine (how long a new pod takes from start to listening, the last column above and the one of the table before), not the lab.'
        : '**They differ by more than a factor 1.35**: the code explains part of the drift; bisect between the commits.'), '');
  }
  return out.join('\n');
}
