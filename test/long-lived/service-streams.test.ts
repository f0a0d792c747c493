// GET /events, GET /ws and POST /upload of the real service process against a real Redis: event
// ids from the Redis stream, exact resume, the shutdown paths (reconnect signal vs cut, 503 +
// Retry-After before the body), and bad input.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { waitInFlight, waitUntil } from '../helpers/wait.js';
import { exitedWithLogs, withService as withServiceOn, type RunningService } from '../service/harness.js';
import { rawPost, SseReader } from './sse-reader.js';

let redis: ThrowawayRedis;
let client: Redis;
before(async () => { redis = await startRedis(); client = new Redis(redis.url); });
after(async () => { client?.disconnect(); await redis?.stop(); });

const FAST = { EVENTS_INTERVAL_MS: '50', HEARTBEAT_MS: '1000' };

const withService = <T>(env: Record<string, string>, fn: (svc: RunningService) => Promise<T>) => withServiceOn(redis.url, { ...FAST, ...env }, fn);

function wsOpen(url: string): Promise<{ ws: WebSocket; ids: string[]; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const ids: string[] = [];
    ws.on('message', (d) => ids.push((JSON.parse(String(d)) as { id: string }).id));
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
    ws.once('open', () => resolve({ ws, ids, closed }));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

test('GET /events streams the Redis stream with ids, a retry: hint and heartbeats; Last-Event-ID resumes exactly after it', async () => {
  await withService({}, async (svc) => {
    const a = new SseReader(`${svc.url}/events`);
    await a.until((r) => r.ids.length >= 6 && r.body.includes(': heartbeat'));
    a.close();
    assert.equal(a.status, 200);
    assert.match(String(a.headers['content-type']), /^text\/event-stream/);
    assert.match(a.body, /^retry: 1000\n\n/);
    const stream = (await client.xrange('lab:events', '-', '+')).map(([id]) => id);
    const got = a.ids;
    // every id the client saw is a stream entry, in stream order, without a hole
    const start = stream.indexOf(got[0]!);
    assert.ok(start >= 0, `${got[0]} is not in the stream`);
    assert.deepEqual(got, stream.slice(start, start + got.length));

    const resumeAfter = got[1]!;
    const b = new SseReader(`${svc.url}/events`, { 'last-event-id': resumeAfter });
    await b.until((r) => r.ids.length >= got.length + 3);
    b.close();
    const now = (await client.xrange('lab:events', '-', '+')).map(([id]) => id);
    const from = now.indexOf(resumeAfter) + 1;
    assert.deepEqual(b.ids, now.slice(from, from + b.ids.length), 'the resumed stream starts right after Last-Event-ID, nothing skipped or repeated');
  });
});

test('a malformed Last-Event-ID is a 400 LAB_BAD_EVENT_ID on /events and /ws, and the service keeps streaming', async () => {
  await withService({}, async (svc) => {
    for (const bad of ['abc', '12', '1-2-3', '-1-0', `${'9'.repeat(20)}-0`]) {
      const r = new SseReader(`${svc.url}/events`, { 'last-event-id': bad });
      await r.until((x) => x.ended !== undefined);
      assert.equal(r.status, 400, bad);
      assert.equal(JSON.parse(r.body).error, 'LAB_BAD_EVENT_ID', bad);
    }
    await assert.rejects(wsOpen(`${svc.url.replace('http', 'ws')}/ws?lastEventId=nope`), (e: { status?: number }) => e.status === 400);
    const ok = new SseReader(`${svc.url}/events`);
    await ok.until((r) => r.ids.length >= 2);
    ok.close();
  });
});

test('GET /ws sends the same events as JSON and resumes with ?lastEventId=', async () => {
  await withService({}, async (svc) => {
    const base = `${svc.url.replace('http', 'ws')}/ws`;
    const a = await wsOpen(base);
    await waitUntil('four events on stream a', () => a.ids.length >= 4);
    a.ws.close();
    const b = await wsOpen(`${base}?lastEventId=${a.ids[1]}`);
    await waitUntil('four events on stream b', () => b.ids.length >= 4);
    b.ws.close();
    const stream = (await client.xrange('lab:events', '-', '+')).map(([id]) => id);
    const from = stream.indexOf(a.ids[1]!) + 1;
    assert.deepEqual(b.ids, stream.slice(from, from + b.ids.length));
  });
});

test('POST /upload acks bytes and sha256 at the paced rate; wrong lengths are refused and nothing is recorded', async () => {
  await withService({ UPLOAD_BYTES_PER_S: '200000' }, async (svc) => {
    await client.del('lab:uploads');
    const body = randomBytes(300_000);
    const ok = await rawPost('127.0.0.1', svc.port, '/upload', { 'content-length': String(body.length), connection: 'close' }, body);
    assert.equal(ok.status, 200, ok.head);
    const ack = JSON.parse(ok.body) as { bytes: number; sha256: string; ms: number };
    assert.equal(ack.bytes, body.length);
    assert.equal(ack.sha256, createHash('sha256').update(body).digest('hex'));
    assert.ok(ack.ms >= 1000, `300 kB at 200 kB/s took ${ack.ms} ms`);
    assert.equal(await client.llen('lab:uploads'), 1);

    const chunked = (n: number) => Buffer.from(`${n.toString(16)}\r\n${'x'.repeat(n)}\r\n0\r\n\r\n`);
    const base = { 'transfer-encoding': 'chunked', connection: 'close' };
    const shorter = await rawPost('127.0.0.1', svc.port, '/upload', { ...base, 'upload-length': '100' }, chunked(60));
    assert.equal(shorter.status, 400);
    assert.match(shorter.body, /LAB_BAD_UPLOAD.*ended after 60 of the stated 100/);
    const longer = await rawPost('127.0.0.1', svc.port, '/upload', { ...base, 'upload-length': '10' }, chunked(60));
    assert.equal(longer.status, 413);
    assert.match(longer.body, /LAB_BAD_UPLOAD.*longer than the stated 10/);
    const unstated = await rawPost('127.0.0.1', svc.port, '/upload', base, chunked(5));
    assert.equal(unstated.status, 411);
    const mismatch = await rawPost('127.0.0.1', svc.port, '/upload', { 'content-length': '5', 'upload-length': '6', connection: 'close' }, Buffer.from('12345'));
    assert.equal(mismatch.status, 400);
    // Content-Length stated, the client sends half and half-closes: Node's HTTP parser answers 400
    // (body ended early), the route logs upload-failed, nothing is recorded
    const cut = await rawPost('127.0.0.1', svc.port, '/upload', { 'content-length': '1000', connection: 'close' }, Buffer.alloc(500), { halfClose: true });
    assert.equal(cut.status, 400, cut.head);
    await svc.proc.waitFor((l) => l.event === 'upload-failed' && l.stated === 1000);
    assert.equal(await client.llen('lab:uploads'), 1, 'only the complete upload was recorded');
  });
});

test('levers on, SIGTERM: SSE gets event: reconnect with a jittered retry: and a clean end, WS closes 1012, a fitting upload completes, exit 0', async () => {
  await withService({ LAB_FIXES: 'all', DRAIN_DELAY_MS: '500', SHUTDOWN_DEADLINE_MS: '6000', STREAM_DRAIN_MS: '1500', UPLOAD_BYTES_PER_S: '100000' }, async (svc) => {
    const sse = new SseReader(`${svc.url}/events`);
    const ws = await wsOpen(`${svc.url.replace('http', 'ws')}/ws`);
    await sse.until((r) => r.ids.length >= 2);
    const body = randomBytes(200_000); // 2 s at 100 kB/s: fits the 6 s budget
    const upload = rawPost('127.0.0.1', svc.port, '/upload', { 'content-length': String(body.length), connection: 'close' }, body);
    // SSE + WS + the upload: the upload is being read when the signal comes
    await waitInFlight(svc.url, 3);
    svc.proc.child.kill('SIGTERM');
    await sse.until((r) => r.ended !== undefined, 8000);
    assert.equal(sse.ended, 'end', 'the stream ended cleanly, not reset');
    const last = sse.frames.at(-1)!;
    assert.equal(last.event, 'reconnect');
    assert.ok(last.retry! >= 500 && last.retry! < 1500, `retry ${last.retry} jittered around 1000`);
    assert.equal((await ws.closed).code, 1012);
    const up = await upload;
    assert.equal(up.status, 200, up.head);
    const exit = await exitedWithLogs(svc.proc);
    assert.equal(exit.code, 0);
    const draining = svc.proc.lines.find((l) => typeof l === 'object' && l.event === 'streams-draining') as Record<string, number>;
    assert.equal(draining.sse, 1);
    assert.equal(draining.ws, 1);
  });
});

test('levers on, during the drain: an upload that cannot finish in the budget gets 503 + Retry-After before its body (100-continue never sent; without Expect, Connection: close)', async () => {
  await withService({ LAB_FIXES: 'all', DRAIN_DELAY_MS: '4000', SHUTDOWN_DEADLINE_MS: '5000', UPLOAD_BYTES_PER_S: '10000' }, async (svc) => {
    const sse = new SseReader(`${svc.url}/events`); // keeps the process draining while we probe
    await sse.until((r) => r.ids.length >= 1);
    svc.proc.child.kill('SIGTERM');
    await svc.proc.waitFor((l) => l.event === 'readiness-flipped');
    const big = Buffer.alloc(100_000); // 10 s at 10 kB/s: does not fit 5 s
    const withExpect = await rawPost('127.0.0.1', svc.port, '/upload', { 'content-length': String(big.length), expect: '100-continue', connection: 'close' }, big, { waitContinue: true });
    assert.equal(withExpect.status, 503, withExpect.head);
    assert.equal(withExpect.sawContinue, false);
    assert.equal(withExpect.bodyBytesSent, 0, 'the client never had to send the body');
    assert.match(withExpect.head, /retry-after: 1/i);
    assert.match(withExpect.body, /LAB_SHUTTING_DOWN/);
    const noExpect = await rawPost('127.0.0.1', svc.port, '/upload', { 'content-length': String(big.length) }, big);
    assert.equal(noExpect.status, 503);
    assert.match(noExpect.head, /retry-after: 1/i);
    assert.match(noExpect.head, /connection: close/i);
    const small = Buffer.alloc(5_000); // 0.5 s: fits
    const fits = await rawPost('127.0.0.1', svc.port, '/upload', { 'content-length': String(small.length), expect: '100-continue', connection: 'close' }, small, { waitContinue: true });
    assert.equal(fits.status, 200, fits.head);
    assert.equal(fits.sawContinue, true);
    sse.close();
    assert.equal((await exitedWithLogs(svc.proc)).code, 0);
  });
});

test('levers off, SIGTERM: the SSE stream is cut (no reconnect event, no clean end)', async () => {
  await withService({ LAB_FIXES: 'none' }, async (svc) => {
    const sse = new SseReader(`${svc.url}/events`);
    await sse.until((r) => r.ids.length >= 2);
    svc.proc.child.kill('SIGTERM');
    await sse.until((r) => r.ended !== undefined);
    assert.equal(sse.ended, 'error');
    assert.ok(!sse.frames.some((f) => f.event === 'reconnect'));
  });
});

