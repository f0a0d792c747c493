import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { compareIds, EVENTS_KEY, toEvent, type StreamEvent } from './stream-id.js';

// One blocking XREAD per pod fans the stream out to every open SSE/WebSocket client, instead of
// one Redis connection per client. A resuming client reads its backlog with XRANGE on the shared
// connection; see subscribe() for how the two are stitched without a gap or a repeat.
const BLOCK_MS = 1000; // below the connection's 2 s commandTimeout (service/deps.ts)
const READ_COUNT = 1000;
const BACKLOG_PAGE = 5000;
const BACKLOG_PAGES = 20;
const RETRY_MS = 200;

export const HUB_STATES = { Starting: 'starting', Reading: 'reading', Closed: 'closed' } as const;
export type HubState = (typeof HUB_STATES)[keyof typeof HUB_STATES];

export type Deliver = (e: StreamEvent) => void;

export class EventHub {
  state: HubState = HUB_STATES.Starting;
  readonly #reader: Redis;
  readonly #subs = new Set<Deliver>();
  #lastId = '0-0';
  #closing: Promise<void> | undefined;
  #loop: Promise<void> | undefined;

  /** `shared` serves backlog reads; `reader` is a connection of its own, blocked in XREAD. */
  constructor(private readonly shared: Redis, reader: Redis, private readonly log: Logger) {
    this.#reader = reader;
    reader.on('error', () => undefined); // reported once per outage by the read loop
  }

  /** Starts reading after the stream's current top entry (bounded by the connection's timeouts). */
  async start(): Promise<void> {
    const top = (await this.shared.xrevrange(EVENTS_KEY, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    this.#lastId = top[0]?.[0] ?? '0-0';
    this.state = HUB_STATES.Reading;
    this.#loop = this.#read();
  }

  async #read(): Promise<void> {
    let reported = false;
    while (this.state === HUB_STATES.Reading) {
      try {
        const res = (await this.#reader.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', EVENTS_KEY, this.#lastId)) as Array<[string, Array<[string, string[]]>]> | null;
        reported = false;
        for (const entry of res?.[0]?.[1] ?? []) {
          const e = toEvent(entry);
          this.#lastId = e.id;
          for (const s of this.#subs) s(e);
        }
      } catch (err) {
        if (this.state !== HUB_STATES.Reading) break;
        if (!reported) this.log.warn({ event: 'events-read-failed', err: (err as Error).message }, `XREAD ${EVENTS_KEY} failed: ${(err as Error).message}`);
        reported = true;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  /**
   * Delivers every event after `afterId` (none: only new ones) in order, exactly once: live events
   * are buffered while the backlog is read, then only those past the backlog's end are passed on.
   * Returns the unsubscribe function.
   */
  async subscribe(afterId: string | undefined, deliver: Deliver): Promise<() => void> {
    let last = afterId;
    let buffer: StreamEvent[] | undefined = afterId === undefined ? undefined : [];
    const pass = (e: StreamEvent) => {
      if (last !== undefined && compareIds(e.id, last) <= 0) return;
      last = e.id;
      deliver(e);
    };
    const sub: Deliver = (e) => { if (buffer) buffer.push(e); else pass(e); };
    this.#subs.add(sub);
    const unsubscribe = () => { this.#subs.delete(sub); };
    if (afterId === undefined) return unsubscribe;
    try {
      for (const e of await this.backlog(afterId)) pass(e);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    for (const e of buffer!) pass(e);
    buffer = undefined;
    return unsubscribe;
  }

  /** Entries strictly after `afterId` (XRANGE with an exclusive start, Redis ≥ 6.2), at most BACKLOG_PAGES pages. */
  async backlog(afterId: string): Promise<StreamEvent[]> {
    const out: StreamEvent[] = [];
    let from = afterId;
    for (let page = 0; page < BACKLOG_PAGES; page++) {
      const entries = (await this.shared.xrange(EVENTS_KEY, `(${from}`, '+', 'COUNT', BACKLOG_PAGE)) as Array<[string, string[]]>;
      for (const entry of entries) out.push(toEvent(entry));
      if (entries.length < BACKLOG_PAGE) break;
      from = entries[entries.length - 1]![0];
    }
    return out;
  }

  get subscribers(): number { return this.#subs.size; }

  /** Stops reading and closes the reader connection; memoised. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.state = HUB_STATES.Closed;
      this.#subs.clear();
      this.#reader.disconnect(); // a blocked XREAD would hold QUIT for up to BLOCK_MS
      await this.#loop?.catch(() => undefined);
    })();
    return this.#closing;
  }
}
