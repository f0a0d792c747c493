import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { LoadGenerator } from '../../loadtest/generator.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil, withDeadline } from '../helpers/wait.js';
import { oneRouteScenario } from './fixture-server.js';

// A real server process SIGKILLed under open-model load: requests in flight on its sockets are
// reset, later arrivals are refused, and the sender keeps its schedule through both.
test('a server killed mid-run: in-flight requests are resets, later ones refused', async () => {
  const port = await freePort();
  const src = `require('node:http').createServer((q, s) => setTimeout(() => s.end('ok'), 600)).listen(${port}, '127.0.0.1', () => console.log('up'))`;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  const gone = new Promise((r) => child.once('exit', r));
  try {
    await withDeadline(new Promise((resolve) => child.stdout!.once('data', resolve)), 10_000, 'the fixture server to start');
    const gen = new LoadGenerator({ scenario: oneRouteScenario(), rate: 40, targets: [{ path: 'l4', origin: `http://127.0.0.1:${port}` }], runId: 'k' });
    gen.start();
    // The kill lands once some requests were answered (600 ms each) while others are in flight.
    await waitUntil('an answered request and others in flight', () => gen.counts.ok > 0 && gen.inFlight > 0, 15_000);
    child.kill('SIGKILL');
    await gone;
    await waitUntil('arrivals after the kill', () => gen.counts.refused >= 5, 15_000);
    await gen.stop();
    const c = gen.counts;
    assert.ok(c.ok > 0, `some answered before the kill: ${JSON.stringify(c)}`);
    assert.ok(c.reset > 0, `in-flight requests were reset: ${JSON.stringify(c)}`);
    assert.ok(c.refused > 0, `arrivals after the kill were refused: ${JSON.stringify(c)}`);
    assert.equal(c.ok + c.reset + c.refused, gen.sent, JSON.stringify(c));
    assert.equal(gen.dropped, 0, `kept the schedule through the kill: sent ${gen.sent}, dropped ${gen.dropped}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
