import { EventSource, type FetchLike } from 'eventsource';
import { newStreamRecord, encodeId, type Path, type StreamRecord } from './records.js';

export const CLIENT_STATES = { Idle: 'idle', Running: 'running', Stopped: 'stopped' } as const;
export type ClientState = (typeof CLIENT_STATES)[keyof typeof CLIENT_STATES];

/** After a non-200 the WHATWG EventSource stops for good; an app typically makes a new one after a pause. */
const RESTART_AFTER_MS = 1000;

/**
 * One EventSource (the `eventsource` package, WHATWG-compliant) on /events. It reconnects by
 * itself after an end or a network error, sending Last-Event-ID; this class only records what
 * happened, and stands in for the app when the spec gives up (non-200 answer).
 */
export class SseClient {
  state: ClientState = CLIENT_STATES.Idle;
  readonly rec: StreamRecord;
  #es: EventSource | undefined;
  #open = false;
  #sawReconnect = false;
  #endedAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly url: string, private readonly fetchImpl: FetchLike, path: Path) {
    this.rec = newStreamRecord('sse', path);
  }

  start(): void {
    this.state = CLIENT_STATES.Running;
    this.#connect();
  }

  #connect(): void {
    const es = new EventSource(this.url, { fetch: this.fetchImpl });
    this.#es = es;
    es.onopen = () => {
      this.rec.opens++;
      if (this.#endedAt !== undefined) this.rec.gaps.push({ at: this.#endedAt, ms: Date.now() - this.#endedAt });
      this.#endedAt = undefined;
      this.#open = true;
    };
    es.onmessage = (e) => { this.rec.ids.push(encodeId(e.lastEventId)); };
    es.addEventListener('reconnect', () => { this.#sawReconnect = true; });
    es.onerror = (ev) => {
      if (this.state !== CLIENT_STATES.Running) return;
      const why = ev.code !== undefined ? `HTTP ${ev.code}` : (ev.message ?? 'error').slice(0, 80);
      this.rec.errors[why] = (this.rec.errors[why] ?? 0) + 1;
      if (this.#open) {
        this.#open = false;
        this.#endedAt = Date.now();
        if (this.#sawReconnect) this.rec.clean++; else this.rec.cut++;
        this.#sawReconnect = false;
      } else {
        this.rec.failedAttempts++;
      }
      if (es.readyState === es.CLOSED) {
        this.#timer = setTimeout(() => {
          if (this.state !== CLIENT_STATES.Running) return;
          this.rec.freshRestarts++;
          this.#connect();
        }, RESTART_AFTER_MS);
      }
    };
  }

  stop(): void {
    this.state = CLIENT_STATES.Stopped;
    clearTimeout(this.#timer);
    this.#es?.close();
  }
}
