import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { LoadGenerator } from '../../loadtest/generator.js';
import { freePort } from '../helpers/ports.js';
import { oneRouteScenario, sleep } from './fixture-server.js';

// A real server process SIGKILLed under open-model load: requests in flight on its sockets are
// reset, later arrivals are refused, and the sender keeps its schedule through both.
test('a server killed mid-run: in-flight requests are resets, later ones refused', async () => {
  const port = await freePort();
  const src = `require('node:http').createServer((q, s) => setTimeout(() => s.end('ok'), 600)).listen(${port}, '127.0.0.1', () => console.log('up'))`;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  const gone = new Promise((r) => child.once('exit', r));
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('fixture server did not start in 10 s')), 10_000);
      child.stdout!.once('data', () => { clearTimeout(t); resolve(); });
    });
    const gen = new LoadGenerator({ scenario: oneRouteScenario(), rate: 40, targets: [{ path: 'l4', origin: `http://127.0.0.1:${port}` }], runId: 'k' });
    gen.start();
    await sleep(1000);
    child.kill('SIGKILL');
    await gone;
    await sleep(500);
    await gen.stop();
    const c = gen.counts;
    assert.ok(c.ok > 0, `some answered before the kill: ${JSON.stringify(c)}`);
    assert.ok(c.reset > 0, `in-flight requests were reset: ${JSON.stringify(c)}`);
    assert.ok(c.refused > 0, `arrivals after the kill were refused: ${JSON.stringify(c)}`);
    assert.equal(c.ok + c.reset + c.refused, gen.sent, JSON.stringify(c));
    assert.ok(gen.sent >= 54 && gen.dropped === 0, `kept the schedule: sent ${gen.sent}, dropped ${gen.dropped}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
