// The stress claim says exactly why it is not met: each failed request with what its client could
// know, where it fell in its pod's shutdown, and the mechanism when they share one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RequestRecord } from '../../loadtest/records.js';
import { stressFailures } from '../../lab/report/stress-failures.js';
import { fakeSummary } from '../engine/fixtures.js';

const rec = (t: number, o: Partial<RequestRecord> = {}): RequestRecord => ({ t_sched: t, t_start: t, t_end: t + 5, route: 'fast', path: 'l4', status: 200, class: 'ok', ...o });
const raced = (t: number, idempotent: boolean): RequestRecord => rec(t, { route: 'jobs', status: 0, class: 'reset', errorCode: 'UND_ERR_SOCKET', reused: true, respByte: false, idempotent });

function stored(records: RequestRecord[]): { root: string; run: { dir: string; summary: ReturnType<typeof fakeSummary> } } {
  const root = mkdtempSync(join(tmpdir(), 'stress-failures-'));
  const dir = join(root, 'runs', 'r1-after-rep1');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'requests.jsonl.gz'), gzipSync(records.map((r) => JSON.stringify(r)).join('\n')));
  writeFileSync(join(dir, 'events.json'), JSON.stringify({ events: [{ t: 10_000, kind: 'sigterm', deployment: 'service', pod: 'service-a' }], phases: [], readySamples: [] }));
  return { root, run: { dir: 'runs/r1-after-rep1', summary: fakeSummary('after', 1) } };
}

test('POSTs reset on a reused connection during a drain: named as the idle-close race, not resendable by Go', () => {
  const { root, run } = stored([rec(1000), raced(11_400, false), raced(11_500, false), rec(12_000)]);
  try {
    const md = stressFailures(root, [run]);
    assert.match(md, /\| r1-after-rep1 \| 10\.4 \| jobs \| l4 \| reset \(UND_ERR_SOCKET\) \| yes \| no \| no \| 0 \| 1400 ms \|/);
    assert.match(md, /All 2 were written on a reused keep-alive connection and reset before any response byte/);
    assert.match(md, /none of these was \(a POST without an `Idempotency-Key` header\), so k6 would report them too/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('mixed causes: the race is counted, the rest left to the table; no failure: nothing to say', () => {
  const { root, run } = stored([raced(11_400, false), rec(11_450, { status: 502, class: 'http_502', path: 'ingress', respByte: true, reused: true, idempotent: true })]);
  try {
    assert.match(stressFailures(root, [run]), /1 of the 2 were written on a reused keep-alive connection/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const clean = stored([rec(1000)]);
  try {
    assert.equal(stressFailures(clean.root, [clean.run]), '');
  } finally {
    rmSync(clean.root, { recursive: true, force: true });
  }
});
