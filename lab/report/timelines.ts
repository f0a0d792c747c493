import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredRun } from './load.js';
import { loadRunData } from './svg-compare.js';
import { renderTimeline } from './svg-timeline.js';

// Each stored run's timeline.svg, redrawn from its requests, events and summary, so a change of the
// chart reaches every stored run and regenerating an unchanged run changes nothing.

export function regenerateTimelines(resultsDir: string, runs: readonly StoredRun[]): string[] {
  const written: string[] = [];
  for (const run of runs) {
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
