// The Service forwarder (lab/targets/local/l4.ts) under an endpoint that closes while the client
// still sends: the failure is passed on and every socket closes, so the lab process can exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../helpers/proc.js';
import { within } from '../helpers/wait.js';

// Run in a child: the defect this guards against is a process that never exits (Node spins in its
// exit cleanup on a socket it can no longer close), which only a separate process shows.
const SCENARIO = `
import { createServer, connect } from 'node:net';
import { LaggedView } from './dist/lab/targets/local/endpoints.js';
import { ServiceForwarder } from './dist/lab/targets/local/l4.js';
const listen = (srv) => new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv.address().port)));
// The endpoint answers and closes at once (FIN): the forwarder's pipe then ends the client side too.
const endpoint = createServer((s) => { s.on('error', () => {}); s.end('bye'); s.destroy(); });
const port = await listen(endpoint);
const view = new LaggedView('redis', 0, () => undefined);
view.apply('add', { pod: 'p', ip: '127.0.0.1', ports: [port] });
const probe = createServer(); const fwdPort = await listen(probe); await new Promise((r) => probe.close(r));
const fwd = new ServiceForwarder('127.0.0.1', fwdPort, view, 0);
await fwd.listen();
// The client keeps writing after the endpoint closed: the forwarder's write to the closed
// upstream fails while its client socket is already half-closed.
const closed = [];
for (let i = 0; i < 20; i++) {
  const c = connect({ host: '127.0.0.1', port: fwdPort, allowHalfOpen: true });
  c.on('error', () => {});
  c.resume();
  c.once('end', () => setTimeout(() => c.destroy(), 50)); // still sending for a moment after the FIN
  const done = new Promise((r) => c.once('close', r));
  const pump = setInterval(() => { if (c.writable) c.write('PING\\r\\n'); }, 2);
  await done; clearInterval(pump); closed.push(i);
}
await fwd.close();
view.close();
await new Promise((r) => endpoint.close(r));
console.log(JSON.stringify({ closed: closed.length }));
`;

test('an endpoint that closes while the client still sends: every connection closes and the process exits', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCENARIO], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const code = await within(exited, 30_000, () => 'hung' as const);
  if (code === 'hung') child.kill('SIGKILL');
  assert.equal(code, 0, `the process exits by itself once its work is done; stdout ${out.slice(-300)} stderr ${err.slice(-1000)}`);
  assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)!), { closed: 20 });
});
