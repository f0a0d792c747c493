import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { RequestRecord } from '../../loadtest/records.js';
import type { RunSummary, RunTimeline } from './schema.js';
import { renderTimeline } from '../report/svg-timeline.js';
import { collectEvidence } from '../report/evidence.js';
import { evidenceMarkdown } from '../report/evidence-md.js';
import { REPO_ROOT } from './meta.js';

export type { PhaseMark, RunTimeline } from './schema.js';

/** Writes one run's directory: raw requests, timeline, summary, chart, and (given the pod logs) the shutdown evidence. */
export async function writeRunArtifacts(dir: string, records: readonly RequestRecord[], timeline: RunTimeline, summary: RunSummary, podsDir?: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const lines = (function* () {
    for (const r of records) yield `${JSON.stringify(r)}\n`;
  })();
  await pipeline(Readable.from(lines), createGzip(), createWriteStream(join(dir, 'requests.jsonl.gz')));
  writeFileSync(join(dir, 'events.json'), `${JSON.stringify(timeline, null, 1)}\n`);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, 'timeline.svg'), renderTimeline({ records, timeline, summary }));
  if (podsDir) writeEvidence(dir, summary, podsDir);
}

export function writeEvidence(dir: string, summary: RunSummary, podsDir: string): void {
  const evidence = collectEvidence(podsDir);
  const header = {
    run: basename(dir), arm: summary.arm, levers: summary.levers, command: summary.command, commit: summary.commit,
    date: summary.date, podLogs: relative(REPO_ROOT, podsDir) || podsDir,
  };
  writeFileSync(join(dir, 'evidence.md'), evidenceMarkdown(header, evidence));
  writeFileSync(join(dir, 'evidence.json'), `${JSON.stringify(evidence, null, 1)}\n`);
}
