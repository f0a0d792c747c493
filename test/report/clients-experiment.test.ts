// `npm run lab -- clients`: what each client saw, beside the raw count under it. The counts come from
// the generator's records (a resent request carries its first attempt's class); the table, CSV and
// chart are drawn from summary.json alone, so the report can redraw them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestRecord } from '../../loadtest/records.js';
import { countClients } from '../../lab/experiments/clients/count.js';
import { clientsFiles, type ClientsSummary } from '../../lab/experiments/clients/report.js';

const rec = (t: number, o: Partial<RequestRecord>): RequestRecord => ({ t_sched: t, t_start: t, t_end: t + 5, route: 'fast', path: 'l4', status: 200, class: 'ok', ...o });

const WINDOW = { start: 1000, end: 2000 };
const RECORDS: RequestRecord[] = [
  rec(500, {}),
  // go resent a GET whose reused connection was reset before any byte: answered on the resend
  rec(1100, { retries: 1, rawClass: 'reset', reused: true, respByte: false, idempotent: true }),
  // node: the same shape, not resent
  rec(1200, { status: 0, class: 'reset', reused: true, respByte: false, idempotent: true }),
  // a POST on a reused connection: Go does not resend it
  rec(1300, { status: 0, class: 'reset', reused: true, respByte: false, idempotent: false }),
  // a 502 from the proxy: a response, nobody resends it
  rec(1400, { status: 502, class: 'http_502', reused: true, respByte: true, idempotent: true }),
  // resent, and the resend failed too
  rec(1500, { status: 0, class: 'refused', retries: 1, rawClass: 'reset', reused: true, respByte: false, idempotent: true }),
  rec(2500, { status: 0, class: 'refused', reused: false, idempotent: true }),
];

test('counts: seen, raw by first attempt, resends and what they saved, and the failures in the shape Go resends', () => {
  const c = countClients(RECORDS, WINDOW);
  assert.equal(c.window.requests, 5);
  assert.equal(c.window.seen.reset, 2);
  assert.equal(c.window.seen.refused, 1);
  assert.equal(c.window.seen.http_502, 1);
  assert.equal(c.window.raw.reset, 4);
  assert.equal(c.window.raw.refused, 0);
  assert.equal(c.window.resent, 2);
  assert.equal(c.window.resentOk, 1);
  // the first GET (resent, saved), the node GET and the resent-then-refused GET; not the POST nor the 502
  assert.equal(c.window.goShaped, 3);
  assert.equal(c.total.requests, 7);
  assert.equal(c.total.seen.refused, 2);
});

test('table, CSV and chart come from summary.json alone and name the batch', () => {
  const c = countClients(RECORDS, WINDOW);
  const run = (arm: string, client: 'go' | 'node') => ({ arm, client, rep: 1, ...c, windowMs: 1000, sigkills: 0 });
  const s: ClientsSummary = {
    experiment: 'clients', command: 'npm run lab -- clients', target: 'local', commit: 'abc1234def', date: '2026-12-02T13:00:00.000Z',
    params: { arms: ['before', 'after'], clients: ['go', 'node'], reps: 1, rate: 200, deploys: 3, l7: 'ingress-nginx', runArtifacts: '.lab/clients/x',
      machine: { cores: 2, node: 'v20', os: 'linux', loadavgBefore: [1, 1, 1], loadavgAfter: [2, 2, 2] } },
    runs: [run('before', 'go'), run('before', 'node'), run('after', 'go'), run('after', 'node')],
  };
  const files = Object.fromEntries(clientsFiles(s));
  assert.deepEqual(Object.keys(files).sort(), ['chart.svg', 'table.csv', 'table.md']);
  assert.match(files['table.md']!, /`npm run lab -- clients` · commit abc1234def · 2026-12-02T13:00:00.000Z/);
  assert.match(files['table.md']!, /- `before` \(deploy window, summed over 1 \+ 1 runs\): go saw 4 of its 5 raw failures; it resent 2 requests and 1 of them were answered\. node saw 4 \(resent 2\); 3 of those had the shape Go resends/);
  assert.equal(files['table.csv']!.trim().split('\n').length, 5);
  assert.match(files['chart.svg']!, /<title>go rep 1: 5 raw failures/);
  assert.deepEqual(clientsFiles(s), clientsFiles(JSON.parse(JSON.stringify(s)) as ClientsSummary));
});
