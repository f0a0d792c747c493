import { connect, Socket } from 'node:net';
import type { FetchLike } from 'eventsource';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import type { LocalCluster } from '../../targets/local/cluster.js';
import { SERVICE } from './manifest.js';
import type { Path } from './records.js';
import { SseClient } from './sse-client.js';
import type { UploadTarget } from './uploader.js';
import { WsClient } from './ws-client.js';

// The two ways in, as the engine's load uses them: L4 (a new connection goes to a random pod of the
// routing view, kube-proxy style) and the in-lab ingress (L7). Every client type gets both, half each.

/** kube-proxy's pick for a raw TCP client: a random endpoint of the lagged view; none → ECONNREFUSED, as the REJECT rule does. */
export function l4Socket(cluster: LocalCluster): () => Socket {
  const view = cluster.view(SERVICE);
  return () => {
    const ep = view.pickRandom();
    if (ep) return connect({ host: ep.ip, port: ep.ports[0]!, noDelay: true });
    const s = new Socket();
    process.nextTick(() => s.destroy(Object.assign(new Error(`connect ECONNREFUSED: Service "${SERVICE}" has no endpoints`), { code: 'ECONNREFUSED' })));
    return s;
  };
}

const fetchVia = (dispatcher: Dispatcher): FetchLike => (url, init) => undiciFetch(url, { ...(init as object), dispatcher }) as unknown as ReturnType<FetchLike>;

export interface ClientSet {
  sse: SseClient[];
  ws: WsClient[];
  uploadTargets: UploadTarget[];
  close(): Promise<void>;
}

export function buildClients(cluster: LocalCluster, sseCount: number, wsCount: number): ClientSet {
  // Long-lived streams hold their connections: no per-origin limit, no pipelining.
  const l4Agent = new Agent({ connect: cluster.l4Connect(SERVICE), pipelining: 0, bodyTimeout: 0, headersTimeout: 10_000 });
  const ingressAgent = new Agent({ pipelining: 0, bodyTimeout: 0, headersTimeout: 10_000 });
  const l4Origin = 'http://service.deploy-loss-lab.svc';
  const wsIngress = cluster.ingressUrl.replace(/^http/, 'ws');
  const paths: Path[] = ['l4', 'ingress'];
  const sse = Array.from({ length: sseCount }, (_, i) => {
    const path = paths[i % 2]!;
    return path === 'l4' ? new SseClient(`${l4Origin}/events`, fetchVia(l4Agent), path) : new SseClient(`${cluster.ingressUrl}/events`, fetchVia(ingressAgent), path);
  });
  const ws = Array.from({ length: wsCount }, (_, i) => {
    const path = paths[i % 2]!;
    return path === 'l4' ? new WsClient('ws://service.deploy-loss-lab.svc/ws', path, l4Socket(cluster)) : new WsClient(`${wsIngress}/ws`, path);
  });
  const uploadTargets: UploadTarget[] = [
    { path: 'l4', url: l4Origin, createConnection: l4Socket(cluster) },
    { path: 'ingress', url: cluster.ingressUrl },
  ];
  return {
    sse, ws, uploadTargets,
    async close() {
      for (const c of [...sse, ...ws]) c.stop();
      await Promise.all([l4Agent.destroy(), ingressAgent.destroy()].map((p) => p.catch(() => undefined)));
    },
  };
}
