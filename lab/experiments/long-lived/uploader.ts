import { createHash, randomBytes } from 'node:crypto';
import { Agent, request, type ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { Path, UploadOutcome, UploadRecord } from './records.js';

export interface UploadTarget {
  path: Path;
  /** base URL: the ingress, or a placeholder origin for the L4 path */
  url: string;
  /** the L4 path: a new connection to a pod picked from the routing view */
  createConnection?: () => Socket;
}

export const UPLOADER_STATES = { Idle: 'idle', Running: 'running', Stopping: 'stopping', Stopped: 'stopped' } as const;
export type UploaderState = (typeof UPLOADER_STATES)[keyof typeof UPLOADER_STATES];

const MAX_IN_FLIGHT = 16;
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * A stream of uploads: one every `everyMs`, alternating paths and `Expect: 100-continue`, over
 * keep-alive connections (node:http, whose client implements 100-continue: the body goes only
 * after `continue`). A 503 with Retry-After is retried once, after that many seconds.
 */
export class Uploader {
  state: UploaderState = UPLOADER_STATES.Idle;
  readonly records: UploadRecord[] = [];
  readonly #body: Buffer;
  readonly #sha: string;
  readonly #agents: Agent[];
  readonly #pending = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #n = 0;

  constructor(private readonly targets: UploadTarget[], private readonly everyMs: number, bytes: number, private readonly timeoutMs: number) {
    this.#body = randomBytes(bytes);
    this.#sha = createHash('sha256').update(this.#body).digest('hex');
    this.#agents = targets.map((t) => {
      const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
      if (t.createConnection) (agent as unknown as { createConnection: () => Socket }).createConnection = t.createConnection;
      return agent;
    });
  }

  get inFlight(): number { return this.#pending.size; }

  start(): void {
    if (this.everyMs <= 0) return;
    this.state = UPLOADER_STATES.Running;
    this.#timer = setInterval(() => {
      if (this.#pending.size >= MAX_IN_FLIGHT) return; // bounded: a stalled target does not pile up uploads
      const i = this.#n++;
      const p = this.#one(i % this.targets.length, i % 4 < 2).finally(() => this.#pending.delete(p));
      this.#pending.add(p);
    }, this.everyMs);
  }

  async #one(ti: number, expectContinue: boolean): Promise<void> {
    const rec: UploadRecord = { path: this.targets[ti]!.path, expectContinue, start: Date.now(), end: 0, outcome: 'error' };
    this.records.push(rec);
    const first = await this.#send(ti, expectContinue);
    Object.assign(rec, first, { end: Date.now() });
    if (first.outcome === 'refused' && this.state === UPLOADER_STATES.Running) {
      await new Promise((r) => setTimeout(r, (first.retryAfterS ?? 1) * 1000));
      rec.retry = (await this.#send(ti, expectContinue)).outcome;
      rec.end = Date.now();
    }
  }

  #send(ti: number, expectContinue: boolean): Promise<Pick<UploadRecord, 'outcome' | 'status' | 'detail' | 'retryAfterS'>> {
    const t = this.targets[ti]!;
    return new Promise((resolve) => {
      let done = false;
      let bodySent = false;
      const finish = (r: Pick<UploadRecord, 'outcome' | 'status' | 'detail' | 'retryAfterS'>) => { if (!done) { done = true; clearTimeout(timer); resolve(r); } };
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(this.#body.length) };
      if (expectContinue) headers.expect = '100-continue';
      const req: ClientRequest = request(new URL('/upload', t.url), { method: 'POST', agent: this.#agents[ti], headers });
      const timer = setTimeout(() => { req.destroy(new Error('upload timed out')); }, this.timeoutMs);
      const sendBody = () => { bodySent = true; req.end(this.#body); };
      if (expectContinue) req.once('continue', sendBody); else sendBody();
      req.once('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.once('error', (e) => finish({ outcome: 'cut', status: res.statusCode, detail: e.message }));
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          if (!bodySent) req.destroy(); // refused before the body: this connection's framing is spent
          if (status === 200) {
            const ack = JSON.parse(text) as { bytes: number; sha256: string };
            finish({ outcome: ack.bytes === this.#body.length && ack.sha256 === this.#sha ? 'completed' : 'corrupt', status });
          } else if (status === 503 && res.headers['retry-after'] !== undefined) {
            finish({ outcome: 'refused', status, retryAfterS: Number(res.headers['retry-after']), detail: bodySent ? 'body sent' : 'before body' });
          } else finish({ outcome: status === 502 || status === 504 ? 'cut' : 'error', status, detail: text.slice(0, 120) });
        });
      });
      req.once('error', (e: NodeJS.ErrnoException) => {
        // A connection that failed before a byte of body went out lost nothing; one that broke after did.
        // (A refused connect never sent anything, even if the body was already handed to the request.)
        const outcome: UploadOutcome = bodySent && !CONNECT_ERRORS.has(e.code ?? '') ? 'cut' : 'error';
        finish({ outcome, detail: e.code ?? e.message });
      });
    });
  }

  /** Stops starting uploads and waits (bounded by each upload's timeout) for those in flight. */
  async stop(): Promise<void> {
    this.state = UPLOADER_STATES.Stopping;
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#pending]);
    for (const a of this.#agents) a.destroy();
    this.state = UPLOADER_STATES.Stopped;
  }
}
