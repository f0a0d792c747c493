import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredRun } from './load.js';
import { loadRunData } from './svg-compare.js';
import { renderTimeline } from './svg-timeline.js';

// Each stored run's timeline.svg, redrawn from its requests, events and summary, so a change of the
// chart reaches every stored run and regenerating an unchanged run changes nothing.

export function regenerateTimelines(resultsDir: string, runs: readonly StoredRun[]): string[] {
  const written: string[] = [];
  // check's example runs are written by the same artifacts code as the lab's own (results/check/<name>/)
  const checkDir = join(resultsDir, 'check');
  const checks: StoredRun[] = existsSync(checkDir)
    ? readdirSync(checkDir).sort().filter((d) => existsSync(join(checkDir, d, 'summary.json')))
      .map((d) => ({ dir: `check/${d}`, summary: JSON.parse(readFileSync(join(checkDir, d, 'summary.json'), 'utf8')) as StoredRun['summary'] }))
    : [];
  for (const run of [...runs, ...checks]) {
    const data = loadRunData(resultsDir, run);
    if (!data) continue;
    const file = join(resultsDir, run.dir, 'timeline.svg');
    const svg = renderTimeline({ records: data.records, timeline: data.timeline, summary: run.summary });
    if (existsSync(file) && readFileSync(file, 'utf8') === svg) continue;
    writeFileSync(file, svg);
    written.push(`${run.dir}/timeline.svg`);
  }
  return written;
}
