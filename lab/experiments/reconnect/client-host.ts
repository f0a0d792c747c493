import { Worker } from 'node:worker_threads';
import { LabError } from '../../../common/errors.js';
import type { Endpoint, LaggedView } from '../../targets/local/endpoints.js';
import type { ConnEvent, ReconnectPolicy, Req } from './client.js';
import type { Establishment } from './population.js';

// The main-thread side of the client population (client-worker.ts): mirrors the routing view into
// the worker every VIEW_SYNC_MS and turns its replies into promises, each bounded by a timer.

export const VIEW_SYNC_MS = 20;

export interface WorkerSetup { clients: number; portIndex: number; tls: boolean; policy: ReconnectPolicy }
export type ToWorker =
  | { type: 'view'; endpoints: Endpoint[] }
  | { type: 'establish'; timeoutMs: number }
  | { type: 'start'; paceMs: number }
  | { type: 'settle'; timeoutMs: number }
  | { type: 'close' };
type FromWorker =
  | { type: 'progress'; connected: number }
  | { type: 'established'; establishment: Establishment }
  | { type: 'settled'; ok: boolean; connected: number }
  | { type: 'closed'; conns: ConnEvent[]; reqs: Req[]; delays: Array<{ t: number; maxMs: number }> }
  | { type: 'failed'; message: string };

export interface ClientResults { conns: ConnEvent[]; reqs: Req[]; delays: Array<{ t: number; maxMs: number }> }

export class ClientHost {
  private readonly worker: Worker;
  private readonly sync: NodeJS.Timeout;
  private lastView = '';
  private waiting: { type: FromWorker['type']; resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private closing: Promise<ClientResults | undefined> | undefined;

  constructor(setup: WorkerSetup, private readonly view: LaggedView, private readonly onProgress: (connected: number) => void = () => undefined) {
    this.worker = new Worker(new URL('./client-worker.js', import.meta.url), { workerData: setup });
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) => this.waiting?.reject(err));
    this.pushView();
    this.sync = setInterval(() => this.pushView(), VIEW_SYNC_MS);
  }

  private pushView(): void {
    const eps = this.view.endpoints();
    const key = eps.map((e) => e.pod).sort().join();
    if (key === this.lastView) return;
    this.lastView = key;
    this.worker.postMessage({ type: 'view', endpoints: eps } satisfies ToWorker);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'progress') { this.onProgress(m.connected); return; }
    const w = this.waiting;
    if (!w) return;
    if (m.type === 'failed') w.reject(new LabError('LAB_TIMEOUT', `client worker: ${m.message}`));
    else if (m.type === w.type) w.resolve(m);
  }

  private ask<T extends FromWorker['type']>(msg: ToWorker, reply: T, timeoutMs: number): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting = undefined; reject(new LabError('LAB_TIMEOUT', `client worker did not answer "${msg.type}" within ${timeoutMs} ms`)); }, timeoutMs);
      this.waiting = {
        type: reply,
        resolve: (m) => { clearTimeout(timer); this.waiting = undefined; resolve(m as Extract<FromWorker, { type: T }>); },
        reject: (e) => { clearTimeout(timer); this.waiting = undefined; reject(e); },
      };
      this.worker.postMessage(msg);
    });
  }

  async establish(timeoutMs: number): Promise<Establishment> {
    return (await this.ask({ type: 'establish', timeoutMs }, 'established', timeoutMs + 10_000)).establishment;
  }

  startRequests(paceMs: number): void { this.worker.postMessage({ type: 'start', paceMs } satisfies ToWorker); }

  /** connected = -1: the client thread was too busy to answer in time (itself a result: the herd outran it). */
  async settle(timeoutMs: number): Promise<{ ok: boolean; connected: number }> {
    try {
      const m = await this.ask({ type: 'settle', timeoutMs }, 'settled', timeoutMs + 30_000);
      return { ok: m.ok, connected: m.connected };
    } catch (err) {
      if (err instanceof LabError && err.code === 'LAB_TIMEOUT' && /did not answer/.test(err.message)) return { ok: false, connected: -1 };
      throw err;
    }
  }

  /** Memoised: stops the clients and returns everything they recorded (undefined if the worker did not answer). */
  close(): Promise<ClientResults | undefined> {
    this.closing ??= (async () => {
      clearInterval(this.sync);
      try {
        const m = await this.ask({ type: 'close' }, 'closed', 60_000);
        return { conns: m.conns, reqs: m.reqs, delays: m.delays };
      } catch {
        return undefined;
      } finally {
        await this.worker.terminate();
      }
    })();
    return this.closing;
  }
}
