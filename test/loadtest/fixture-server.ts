import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Scenario } from '../../loadtest/scenario.js';

// A real HTTP server on a free loopback port whose behaviour each test chooses.
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function startFixture(handler: Handler): Promise<{ origin: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export function oneRouteScenario(path = '/x', method: 'GET' | 'POST' = 'GET'): Scenario {
  return {
    rate: 10,
    mix: [{ name: 'x', method, path, weight: 1 }],
    accounts: 3,
    keepAlive: true,
    timeoutSeconds: 5,
    phases: { warmupSeconds: 0, baselineSeconds: 0, deploys: 0, pauseBetweenDeploysSeconds: 0, cooldownSeconds: 0 },
  };
}
