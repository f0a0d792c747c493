import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';

// A raw reader of an SSE response (node:http), so tests see every line the server wrote
// (retry:, comments, event: reconnect), how the body ended (clean end vs reset), and the status.

export interface SseFrame { id?: string; event?: string; data?: string; retry?: number }

export class SseReader {
  status = 0;
  headers: IncomingMessage['headers'] = {};
  body = '';
  frames: SseFrame[] = [];
  ended: 'end' | 'error' | undefined;
  readonly #req: ClientRequest;
  readonly #waiters = new Set<() => void>();

  constructor(url: string, headers: Record<string, string> = {}) {
    this.#req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false });
    this.#req.on('response', (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (c: string) => { this.body += c; this.#parse(); this.#wake(); });
      res.on('end', () => { this.ended ??= 'end'; this.#wake(); });
      res.on('error', () => { this.ended = 'error'; this.#wake(); });
      res.on('aborted', () => { this.ended = 'error'; this.#wake(); });
    });
    this.#req.on('error', () => { this.ended = 'error'; this.#wake(); });
    this.#req.end();
  }

  #parse(): void {
    this.frames = this.body.split('\n\n').slice(0, -1).map((block) => {
      const f: SseFrame = {};
      for (const line of block.split('\n')) {
        const i = line.indexOf(': ');
        if (line.startsWith(':') || i < 0) continue;
        const k = line.slice(0, i), v = line.slice(i + 2);
        if (k === 'id') f.id = v; else if (k === 'event') f.event = v; else if (k === 'data') f.data = v; else if (k === 'retry') f.retry = Number(v);
      }
      return f;
    });
  }

  #wake(): void { for (const w of this.#waiters) w(); }

  get ids(): string[] { return this.frames.filter((f) => f.id).map((f) => f.id!); }

  /** Resolves once `pred` holds; rejects after timeoutMs naming what was seen. */
  until(pred: (r: SseReader) => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => { if (pred(this)) { done(); resolve(); } };
      const timer = setTimeout(() => { done(); reject(new Error(`SSE condition not met in ${timeoutMs} ms; status ${this.status}, ended ${this.ended}, body tail ${JSON.stringify(this.body.slice(-300))}`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this.#waiters.delete(check); };
      this.#waiters.add(check);
      check();
    });
  }

  close(): void { this.#req.destroy(); }
}

export interface RawReply { status: number; head: string; body: string; sawContinue: boolean; bodyBytesSent: number }

/**
 * A hand-framed HTTP/1.1 POST on a raw socket: the test controls exactly which bytes go out and
 * when (a body shorter than stated, Expect: 100-continue honoured or not), and reads the reply.
 */
export function rawPost(host: string, port: number, path: string, headers: Record<string, string>, body: Buffer, opts: { waitContinue?: boolean; halfClose?: boolean; timeoutMs?: number } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let text = '';
    let sawContinue = false;
    let bodyBytesSent = 0;
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no reply in ${opts.timeoutMs ?? 15_000} ms; got ${JSON.stringify(text.slice(0, 300))}`)); }, opts.timeoutMs ?? 15_000);
    const sendBody = () => { bodyBytesSent = body.length; s.write(body); if (opts.halfClose) s.end(); };
    s.on('connect', () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
      if (!opts.waitContinue) sendBody();
    });
    s.setEncoding('latin1');
    s.on('data', (c: string) => {
      text += c;
      if (opts.waitContinue && !sawContinue && text.startsWith('HTTP/1.1 100')) {
        sawContinue = true;
        text = text.slice(text.indexOf('\r\n\r\n') + 4);
        sendBody();
      }
    });
    const finish = () => {
      clearTimeout(timer);
      const i = text.indexOf('\r\n\r\n');
      const head = i < 0 ? text : text.slice(0, i);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: i < 0 ? '' : text.slice(i + 4), sawContinue, bodyBytesSent });
    };
    s.on('end', finish);
    s.on('close', finish);
    s.on('error', () => undefined);
  });
}
