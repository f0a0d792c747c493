import { connect } from 'node:net';

// Which pods accept connections, seen from outside without routing any traffic: a TCP connect to each
// pod's own address, closed as soon as it is established. Without a readiness probe a pod is Ready
// before it listens, so ready pods overstate capacity; accepting pods do not.

export interface PodAddress {
  pod: string;
  deployment: string;
  host: string;
  port: number;
}

export interface ServingSample {
  t: number;
  serving: Record<string, number>;
}

export const PROBE_STATES = { Idle: 'idle', Running: 'running', Closed: 'closed' } as const;
export type ProbeState = (typeof PROBE_STATES)[keyof typeof PROBE_STATES];

/** One connect attempt, bounded by timeoutMs; true when the handshake completed. */
export function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => { clearTimeout(timer); socket.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export class ServingProbe {
  state: ProbeState = PROBE_STATES.Idle;
  readonly samples: ServingSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(private readonly addresses: () => PodAddress[], private readonly periodMs = 200, private readonly timeoutMs = 150) {}

  start(): void {
    if (this.state !== PROBE_STATES.Idle) return;
    this.state = PROBE_STATES.Running;
    this.#timer = setInterval(() => { this.#inFlight ??= this.#tick().finally(() => { this.#inFlight = undefined; }); }, this.periodMs);
  }

  async #tick(): Promise<void> {
    const t = Date.now();
    const list = this.addresses();
    const results = await Promise.all(list.map((a) => accepts(a.host, a.port, this.timeoutMs)));
    const serving: Record<string, number> = {};
    list.forEach((a, i) => { serving[a.deployment] = (serving[a.deployment] ?? 0) + (results[i] ? 1 : 0); });
    if (this.state === PROBE_STATES.Running) this.samples.push({ t, serving });
  }

  /** Stops probing; resolves once the last round of connects is over (each is bounded by timeoutMs). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.state = PROBE_STATES.Closed;
      await this.#inFlight;
    })();
    return this.#closing;
  }
}
