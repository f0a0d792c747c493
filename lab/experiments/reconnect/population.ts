import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../../../common/errors.js';
import { PersistentClient, type ConnEvent, type ReconnectPolicy, type Req } from './client.js';
import type { Dialer } from './dialer.js';

// N persistent clients: established as fast as the lab can dial (that burst is the accept rate the
// jitter window is sized from), then each paced at one request per `paceMs`, phases spread evenly.

/**
 * Dials in flight while establishing: enough to keep the receivers busy, few enough that a dial
 * does not queue behind others past DIAL_TIMEOUT_MS (a timed-out handshake is work thrown away).
 */
export const ESTABLISH_CONCURRENCY = 64;

export interface Establishment { clients: number; connected: number; ms: number; perSecond: number }

export class ClientPopulation {
  readonly conns: ConnEvent[] = [];
  readonly reqs: Req[] = [];
  private readonly clients: PersistentClient[] = [];
  private closing: Promise<void> | undefined;

  constructor(count: number, dial: Dialer, policy: ReconnectPolicy) {
    const sinks = { conn: (e: ConnEvent) => { this.conns.push(e); }, req: (r: Req) => { this.reqs.push(r); } };
    for (let i = 0; i < count; i++) this.clients.push(new PersistentClient(i, dial, policy, sinks));
  }

  get size(): number { return this.clients.length; }
  connectedCount(): number { return this.clients.reduce((n, c) => n + (c.connected ? 1 : 0), 0); }

  /** Opens every connection, ESTABLISH_CONCURRENCY at a time; throws LAB_TIMEOUT if not all connected in `timeoutMs`. */
  async establish(timeoutMs: number, onProgress?: (connected: number) => void): Promise<Establishment> {
    const t0 = performance.now();
    const deadline = Date.now() + timeoutMs;
    let next = 0;
    const lane = async () => {
      while (next < this.clients.length && Date.now() < deadline) {
        const c = this.clients[next++]!;
        await c.connect();
      }
    };
    const ticker = setInterval(() => onProgress?.(this.connectedCount()), 1000);
    try {
      await Promise.all(Array.from({ length: Math.min(ESTABLISH_CONCURRENCY, this.clients.length) }, lane));
      // clients whose first dial failed keep retrying on their own; give them the rest of the budget
      while (this.connectedCount() < this.clients.length && Date.now() < deadline) await sleep(50);
    } finally {
      clearInterval(ticker);
    }
    const ms = performance.now() - t0;
    const connected = this.connectedCount();
    if (connected < this.clients.length) throw new LabError('LAB_TIMEOUT', `only ${connected} of ${this.clients.length} clients connected within ${timeoutMs} ms`);
    return { clients: this.clients.length, connected, ms: Math.round(ms), perSecond: Math.round((connected / ms) * 1000) };
  }

  startRequests(paceMs: number): void {
    const n = this.clients.length;
    this.clients.forEach((c, i) => c.startRequests(paceMs, (i / n) * paceMs));
  }

  /** Resolves when every client is connected again, or false after `timeoutMs`. */
  async allConnected(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.connectedCount() < this.clients.length) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  }

  close(): Promise<void> {
    this.closing ??= Promise.all(this.clients.map((c) => c.close())).then(() => undefined);
    return this.closing;
  }
}
