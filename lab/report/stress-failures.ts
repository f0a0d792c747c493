import { join } from 'node:path';
import { reusedWithoutResponse, type RequestRecord } from '../../loadtest/records.js';
import { loadRunModel } from '../tools/triage/run-model.js';
import type { StoredRun } from './load.js';

// The stress claim's counterexamples, each with what its client could know and where it fell in its
// pod's shutdown, and the mechanism they share — so a "not met" says exactly why.

interface Failure { run: string; r: RequestRecord; atS: number; sinceSigtermMs: number | undefined }

/** A request written onto a kept-alive connection that the server closed before answering it. */
const closedUnder = (r: RequestRecord) => reusedWithoutResponse(r) && (r.class === 'reset' || r.class === 'other');

function failuresOf(resultsDir: string, run: StoredRun): Failure[] {
  const m = loadRunModel(join(resultsDir, run.dir));
  if (!m) return [];
  const start = Math.min(...m.records.map((r) => r.t_sched));
  const sigterms = m.timeline.events.filter((e) => e.kind === 'sigterm' && e.deployment === 'service').map((e) => e.t);
  return m.records.filter((r) => r.class !== 'ok').map((r) => {
    const last = sigterms.filter((t) => t <= r.t_start).at(-1);
    return { run: run.dir.replace('runs/', ''), r, atS: (r.t_start - start) / 1000, sinceSigtermMs: last === undefined ? undefined : Math.round(r.t_start - last) };
  });
}

const yn = (b: boolean | undefined) => (b === undefined ? '—' : b ? 'yes' : 'no');

export function stressFailures(resultsDir: string, used: readonly StoredRun[]): string {
  const all = used.flatMap((run) => failuresOf(resultsDir, run));
  if (all.length === 0) return '';
  const rows = all.map(({ run, r, atS, sinceSigtermMs }) => `| ${run} | ${atS.toFixed(1)} | ${r.route} | ${r.path} | ${r.class}${r.errorCode ? ` (${r.errorCode})` : ''} | ${yn(r.reused)} | ${yn(r.respByte)} | ${yn(r.idempotent)} | ${r.retries ?? 0} | ${sinceSigtermMs === undefined ? '—' : `${sinceSigtermMs} ms`} |`);
  const raced = all.filter((f) => closedUnder(f.r));
  const notReplayable = raced.filter((f) => f.r.idempotent === false);
  const why = raced.length === all.length
    ? `All ${all.length} were written on a reused keep-alive connection and reset before any response byte: the server closed the idle connection as the request arrived — `
      + `during a pod's drain, the idle-close race (docs/runbook.md, "Closing idle sockets later instead"). Go's Transport resends such a request only when it is idempotent; `
      + (notReplayable.length === all.length
        ? 'none of these was (a POST without an `Idempotency-Key` header), so k6 would report them too. '
        : `${all.length - notReplayable.length} of them were idempotent and failed on the resend as well. `)
      + 'No server setting measured here prevents it (results/idle-close/table.md tries one, `IDLE_CLOSE=client-window`); what removes it for the client is an `Idempotency-Key` header on the POST, which lets Go resend it while the service deduplicates by the key.'
    : `${raced.length} of the ${all.length} were written on a reused keep-alive connection and reset before any response byte (the idle-close race); the others are in the table with their error.`;
  return [
    '', 'Every request that failed as the client saw it:', '',
    '| run | s into the load | route | path | error | reused connection | response byte | idempotent | resent | after its last pod SIGTERM |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows, '', why, '',
  ].join('\n');
}
