import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { guardianMarkdown, type GuardianSummary } from '../experiments/guardian/report.js';
import { join } from 'node:path';
import { renderStoredReconnect } from '../experiments/reconnect/report.js';
import { writeResults, type KmjSummary } from '../experiments/kill-mid-job/report.js';
import { keepAliveFiles, type KeepAliveSummary } from '../experiments/keepalive/report.js';
import { routeRetryFiles, type RouteRetrySummary } from '../experiments/route-retry/report.js';
import { clientsFiles, type ClientsSummary } from '../experiments/clients/report.js';
import { idleCloseFiles, type IdleCloseSummary } from '../experiments/idle-close/report.js';

// The other experiments' tables, re-rendered from their stored summary.json by the report (charts
// that need a run's raw series are the run's own). Each returns the files it changed.

export function regenerateExperimentTables(resultsDir: string): string[] {
  const written: string[] = [];
  const reconnect = join(resultsDir, 'reconnect');
  if (existsSync(reconnect)) {
    for (const d of readdirSync(reconnect).sort()) written.push(...renderStoredReconnect(join(reconnect, d)).map((f) => `reconnect/${d}/${f}`));
  }
  const kmj = join(resultsDir, 'kill-mid-job');
  if (existsSync(join(kmj, 'summary.json'))) {
    const before = ['table.md', 'table.csv'].map((f) => (existsSync(join(kmj, f)) ? readFileSync(join(kmj, f), 'utf8') : ''));
    writeResults(kmj, JSON.parse(readFileSync(join(kmj, 'summary.json'), 'utf8')) as KmjSummary);
    ['table.md', 'table.csv'].forEach((f, i) => { if (readFileSync(join(kmj, f), 'utf8') !== before[i]) written.push(`kill-mid-job/${f}`); });
  }
  const guardian = join(resultsDir, 'guardian');
  if (existsSync(join(guardian, 'summary.json'))) {
    const text = guardianMarkdown(JSON.parse(readFileSync(join(guardian, 'summary.json'), 'utf8')) as GuardianSummary);
    if (!existsSync(join(guardian, 'table.md')) || readFileSync(join(guardian, 'table.md'), 'utf8') !== text) {
      writeFileSync(join(guardian, 'table.md'), text);
      written.push('guardian/table.md');
    }
  }
  written.push(...rewrite(resultsDir, 'keepalive', (s) => keepAliveFiles(s as KeepAliveSummary)));
  written.push(...rewrite(resultsDir, 'route-retry', (s) => routeRetryFiles(s as RouteRetrySummary)));
  written.push(...rewrite(resultsDir, 'clients', (s) => clientsFiles(s as ClientsSummary)));
  written.push(...rewrite(resultsDir, 'idle-close', (s) => idleCloseFiles(s as IdleCloseSummary)));
  return written;
}

/** Rewrites the files an experiment draws from its stored summary.json (none stored: nothing); returns the ones that changed. */
function rewrite(resultsDir: string, experiment: string, files: (summary: unknown) => Array<[string, string]>): string[] {
  const dir = join(resultsDir, experiment);
  if (!existsSync(join(dir, 'summary.json'))) return [];
  const written: string[] = [];
  for (const [f, text] of files(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')))) {
    if (existsSync(join(dir, f)) && readFileSync(join(dir, f), 'utf8') === text) continue;
    writeFileSync(join(dir, f), text);
    written.push(`${experiment}/${f}`);
  }
  return written;
}
