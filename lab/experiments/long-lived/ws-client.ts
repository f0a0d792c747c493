import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { newStreamRecord, encodeId, type Path, type StreamRecord } from './records.js';
import { CLIENT_STATES, type ClientState } from './sse-client.js';

/** Close codes that mean "reconnect" (RFC 6455 §7.4.1 1001 Going Away, IANA 1012 Service Restart). */
const CLEAN_CODES = new Set([1001, 1012]);
const HANDSHAKE_TIMEOUT_MS = 5000;

/** One WebSocket client on /ws (the `ws` library): resumes with `?lastEventId=` after any close, 0.5–1.5 s later. */
export class WsClient {
  state: ClientState = CLIENT_STATES.Idle;
  readonly rec: StreamRecord;
  #ws: WebSocket | undefined;
  #lastId: string | undefined;
  #endedAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** `createConnection`: how a new TCP connection is made (the L4 path picks a pod from the routing view). */
  constructor(private readonly url: string, path: Path, private readonly createConnection?: () => Socket) {
    this.rec = newStreamRecord('ws', path);
  }

  start(): void {
    this.state = CLIENT_STATES.Running;
    this.#connect();
  }

  #connect(): void {
    const url = this.#lastId ? `${this.url}?lastEventId=${encodeURIComponent(this.#lastId)}` : this.url;
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, ...(this.createConnection ? { createConnection: this.createConnection } : {}) });
    this.#ws = ws;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      this.rec.opens++;
      if (this.#endedAt !== undefined) this.rec.gaps.push({ at: this.#endedAt, ms: Date.now() - this.#endedAt });
      this.#endedAt = undefined;
    });
    ws.on('message', (data) => {
      const e = JSON.parse(String(data)) as { id: string };
      this.#lastId = e.id;
      this.rec.ids.push(encodeId(e.id));
    });
    ws.on('error', (err: NodeJS.ErrnoException) => { // 'close' follows and counts it
      const why = `error ${err.code ?? err.message.slice(0, 60)}`;
      this.rec.errors[why] = (this.rec.errors[why] ?? 0) + 1;
    });
    ws.on('close', (code) => {
      if (this.state !== CLIENT_STATES.Running) return;
      const why = `close ${code}`;
      this.rec.errors[why] = (this.rec.errors[why] ?? 0) + 1;
      if (opened) {
        this.#endedAt = Date.now();
        if (CLEAN_CODES.has(code)) this.rec.clean++; else this.rec.cut++;
      } else {
        this.rec.failedAttempts++;
      }
      this.#timer = setTimeout(() => { if (this.state === CLIENT_STATES.Running) this.#connect(); }, 500 + Math.random() * 1000);
    });
  }

  stop(): void {
    this.state = CLIENT_STATES.Stopped;
    clearTimeout(this.#timer);
    this.#ws?.terminate();
  }
}
