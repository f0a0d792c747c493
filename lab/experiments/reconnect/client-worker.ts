import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { LaggedView, type Endpoint } from '../../targets/local/endpoints.js';
import { l4Dialer } from './dialer.js';
import { ClientPopulation } from './population.js';
import type { ToWorker, WorkerSetup } from './client-host.js';

// The client population on its own thread. Thousands of TLS handshakes at once block an event
// loop for seconds; on the lab's main thread that would starve the local target's kubelet probes
// and Service forwarders (pods would fail readiness and lose Redis because of the lab, not
// because of the herd). The routing view is mirrored from the main thread (see client-host.ts).

const port = parentPort!;
const setup = workerData as WorkerSetup;
const view = new LaggedView('service', 0, () => undefined);
const pop = new ClientPopulation(setup.clients, l4Dialer(view, setup.portIndex, setup.tls), setup.policy);
const delay = monitorEventLoopDelay({ resolution: 10 });
const delays: Array<{ t: number; maxMs: number }> = [];
delay.enable();
const sampler = setInterval(() => {
  delays.push({ t: Date.now(), maxMs: Math.round(delay.max / 1e5) / 10 });
  delay.reset();
}, 100);

function mirror(eps: Endpoint[]): void {
  const want = new Map(eps.map((e) => [e.pod, e]));
  for (const e of view.endpoints()) if (!want.has(e.pod)) view.apply('remove', e);
  for (const e of eps) if (!view.has(e.pod)) view.apply('add', e);
}

port.on('message', (m: ToWorker) => {
  void (async () => {
    try {
      if (m.type === 'view') mirror(m.endpoints);
      else if (m.type === 'establish') {
        const e = await pop.establish(m.timeoutMs, (connected) => port.postMessage({ type: 'progress', connected }));
        port.postMessage({ type: 'established', establishment: e });
      } else if (m.type === 'start') pop.startRequests(m.paceMs);
      else if (m.type === 'settle') {
        const ok = await pop.allConnected(m.timeoutMs);
        port.postMessage({ type: 'settled', ok, connected: pop.connectedCount() });
      } else if (m.type === 'close') {
        await pop.close();
        clearInterval(sampler);
        delay.disable();
        port.postMessage({ type: 'closed', conns: pop.conns, reqs: pop.reqs, delays });
      }
    } catch (err) {
      port.postMessage({ type: 'failed', message: (err as Error).message });
    }
  })();
});
