import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { RequestRecord } from '../../loadtest/records.js';
import type { RunSummary, RunTimeline } from './schema.js';
import { renderTimeline } from '../report/svg-timeline.js';

export type { PhaseMark, RunTimeline } from './schema.js';

/** Writes one run's directory: raw requests, timeline, summary, chart. */
export async function writeRunArtifacts(dir: string, records: readonly RequestRecord[], timeline: RunTimeline, summary: RunSummary): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const lines = (function* () {
    for (const r of records) yield `${JSON.stringify(r)}\n`;
  })();
  await pipeline(Readable.from(lines), createGzip(), createWriteStream(join(dir, 'requests.jsonl.gz')));
  writeFileSync(join(dir, 'events.json'), `${JSON.stringify(timeline, null, 1)}\n`);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, 'timeline.svg'), renderTimeline({ records, timeline, summary }));
}
