import { Counter, Gauge, type Registry } from 'prom-client';

export type StreamKind = 'sse' | 'ws';

/** One open event stream: `reconnect()` sends the final reconnect signal and closes it cleanly. */
export interface OpenStream {
  readonly kind: StreamKind;
  reconnect(): void;
}

/**
 * The open SSE and WebSocket streams of this process. They never end on their own, so a drain
 * has to end them: spread over a window (surge-style), each with a reconnect signal the client
 * obeys, instead of all at once (a thundering reconnect) or by a cut socket.
 */
export class OpenStreams {
  readonly #streams = new Set<OpenStream>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #drainEndsAt: number | undefined;
  readonly #signalled: Counter<'kind'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const streams = this.#streams;
    new Gauge({
      name: 'lab_streams_open', help: 'Open event streams by kind (sse, ws)', labelNames: ['kind'], registers,
      collect() {
        let sse = 0;
        for (const s of streams) if (s.kind === 'sse') sse++;
        this.labels('sse').set(sse);
        this.labels('ws').set(streams.size - sse);
      },
    });
    this.#signalled = new Counter({ name: 'lab_streams_reconnect_signalled_total', help: 'Streams ended with a reconnect signal during shutdown', labelNames: ['kind'], registers });
  }

  get size(): number { return this.#streams.size; }

  count(kind: StreamKind): number { return [...this.#streams].filter((s) => s.kind === kind).length; }

  /** Registers a stream; one opened while a drain runs is scheduled within what is left of the window. */
  add(s: OpenStream): () => void {
    this.#streams.add(s);
    if (this.#drainEndsAt !== undefined) this.#schedule(s, Math.max(0, this.#drainEndsAt - Date.now()));
    return () => { this.#streams.delete(s); };
  }

  /** Ends every stream at a random moment within `windowMs` from now, each with its reconnect signal. */
  drain(windowMs: number): void {
    if (this.#drainEndsAt !== undefined) return;
    this.#drainEndsAt = Date.now() + windowMs;
    for (const s of this.#streams) this.#schedule(s, windowMs);
  }

  #schedule(s: OpenStream, windowMs: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#streams.delete(s)) return; // the client left first
      this.#signalled.labels(s.kind).inc();
      s.reconnect();
    }, Math.random() * windowMs);
    this.#timers.add(t);
  }

  /** Stops pending drain timers (the forced exit paths cut what is left). */
  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
