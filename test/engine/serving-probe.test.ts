// The serving probe against real sockets: a listening server counts, a closed port does not, and the
// probe sends no request (the server sees connections, never a byte).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { accepts, ServingProbe, PROBE_STATES } from '../../lab/engine/serving-probe.js';

const listen = (srv: Server) => new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
const closeServer = (srv: Server) => new Promise<void>((r) => srv.close(() => r()));

test('accepts: true for a listening port, false once it is closed; the probe writes nothing', async () => {
  let bytes = 0;
  let connections = 0;
  const srv = createServer((s) => { connections++; s.on('data', (b) => { bytes += b.length; }); });
  const port = await listen(srv);
  assert.equal(await accepts('127.0.0.1', port, 1000), true);
  await closeServer(srv);
  assert.equal(await accepts('127.0.0.1', port, 1000), false);
  assert.equal(connections, 1);
  assert.equal(bytes, 0, 'no request is routed to the pod');
});

test('ServingProbe: per-deployment counts follow what listens; close() is memoised and stops sampling', async () => {
  const a = createServer((s) => s.destroy());
  const b = createServer((s) => s.destroy());
  const pa = await listen(a);
  const pb = await listen(b);
  const probe = new ServingProbe(() => [
    { pod: 'a', deployment: 'service', host: '127.0.0.1', port: pa },
    { pod: 'b', deployment: 'service', host: '127.0.0.1', port: pb },
  ], 50, 500);
  probe.start();
  const until = async (pred: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(probe.samples.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await until(() => probe.samples.some((s) => s.serving.service === 2), 'two serving');
    await closeServer(b);
    await until(() => probe.samples.at(-1)?.serving.service === 1, 'one serving after a close');
  } finally {
    const closing = probe.close();
    assert.equal(probe.close(), closing);
    await closing;
    await closeServer(a);
  }
  assert.equal(probe.state, PROBE_STATES.Closed);
  const n = probe.samples.length;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(probe.samples.length, n, 'no samples after close');
});
