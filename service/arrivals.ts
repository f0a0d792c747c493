import type { Socket } from 'node:net';
import type { Logger } from 'pino';

// The pod's own record of what was routed to it, so the lab can measure the deregistration delay
// (last request routed here − the moment this pod left the endpoints) from pod logs alone, on the
// local target and on any cluster. Per-request lines would drown the lifecycle events, so arrivals
// are counted per (peer address, new|reused connection) and one `arrivals` line per interval
// carries the count and the exact last arrival of each. The peer address tells the path apart:
// an ingress proxy connects from its own address, an L4 client from its own.
// The preStop sleep runs before SIGTERM and the process cannot see it, so the record runs all the
// time, not only after the signal.

export const ARRIVALS_EVENT = 'arrivals';
/** Probes are the kubelet's, not routed traffic. */
const NOT_ROUTED = new Set(['/healthz', '/readyz', '/metrics']);

export interface ArrivalBucket {
  remote: string;
  /** false: the first request on its connection (the routing layer chose this pod just now) */
  reused: boolean;
  n: number;
  first: number;
  last: number;
}

export class ArrivalRecorder {
  readonly #seen = new WeakSet<Socket>();
  #open = new Map<string, ArrivalBucket>();
  #from = Date.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: Logger, private readonly intervalMs = 200) {}

  start(): void {
    this.#timer ??= setInterval(() => this.flush(), this.intervalMs);
    this.#timer.unref();
    // process.exit() runs 'exit' listeners synchronously and the logger is synchronous: the last
    // interval is not lost on a clean or guardian exit (a SIGKILL loses at most one interval).
    process.once('exit', () => this.flush());
  }

  record(socket: Socket, url: string): void {
    const path = url.split('?')[0]!;
    if (NOT_ROUTED.has(path)) return;
    const reused = this.#seen.has(socket);
    if (!reused) this.#seen.add(socket);
    const remote = socket.remoteAddress ?? 'unknown';
    const key = `${remote}|${reused ? 1 : 0}`;
    const now = Date.now();
    const b = this.#open.get(key);
    if (b) { b.n++; b.last = now; } else this.#open.set(key, { remote, reused, n: 1, first: now, last: now });
  }

  flush(): void {
    const to = Date.now();
    if (this.#open.size > 0) this.log.info({ event: ARRIVALS_EVENT, from: this.#from, to, by: [...this.#open.values()] });
    this.#open = new Map();
    this.#from = to;
  }
}
