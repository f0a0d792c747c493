import type { Socket } from 'node:net';
import { Agent, request, type buildConnector } from 'undici';
import { LabError } from '../../../common/errors.js';

// Two instruments of the reload-vs-restart experiment: a connector wrapper that sees every
// persistent connection open and close, and a poller that asks each pod which config it serves.

export interface ConnEvent {
  t: number;
  kind: 'open' | 'close';
  /** close only: the server ended it (FIN) or it died with an error; false when the client closed it */
  byServer?: boolean;
}

export function countingConnector(inner: buildConnector.connector): { connect: buildConnector.connector; events: ConnEvent[] } {
  const events: ConnEvent[] = [];
  const connect: buildConnector.connector = (opts, callback) => {
    inner(opts, (err, socket) => {
      if (!err && socket) {
        events.push({ t: Date.now(), kind: 'open' });
        let serverEnded = false;
        (socket as Socket).once('end', () => { serverEnded = true; });
        socket.once('close', (hadError: boolean) => events.push({ t: Date.now(), kind: 'close', byServer: serverEnded || hadError }));
      }
      (callback as (e: Error | null, s: typeof socket) => void)(err, socket);
    });
  };
  return { connect, events };
}

export interface PodAnswer {
  url: string;
  checksum?: string;
  version?: number;
  error?: string;
}

/** Asks pods which config they serve, over its own keep-alive connections (not the load's). */
export class ConfigProber {
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 2 });

  async ask(url: string, timeoutMs = 1000): Promise<PodAnswer> {
    try {
      const res = await request(`${url}/config`, { dispatcher: this.agent, signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.body.json()) as { checksum?: string; version?: number };
      return { url, checksum: body.checksum ?? undefined, version: body.version };
    } catch (err) {
      return { url, error: String((err as { code?: string }).code ?? (err as Error).message) };
    }
  }

  /**
   * Polls GET /config on every pod the callback lists until each pod that answers serves
   * `checksum` and at least `expectPods` do. Pods that no longer answer (exited) are not counted:
   * a terminating pod that still answers with the old config is still serving it.
   */
  async waitInEffect(pods: () => string[], checksum: string, expectPods: number, timeoutMs: number, everyMs = 50): Promise<{ ms: number; polls: number }> {
    const t0 = Date.now();
    let last: PodAnswer[] = [];
    for (let polls = 1; Date.now() - t0 < timeoutMs && polls < 100_000; polls++) {
      last = await Promise.all(pods().map((u) => this.ask(u)));
      const answered = last.filter((a) => a.error === undefined);
      if (answered.length >= expectPods && answered.every((a) => a.checksum === checksum)) return { ms: Date.now() - t0, polls };
      await new Promise((r) => setTimeout(r, everyMs));
    }
    throw new LabError('LAB_TIMEOUT', `config ${checksum.slice(0, 12)} not in effect on ${expectPods} pods within ${timeoutMs} ms; last answers: ${JSON.stringify(last)}`);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
