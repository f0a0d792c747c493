import { Worker } from 'node:worker_threads';
import { ERRORS, LabError, type LabErrorCode } from '../../common/errors.js';
import type { ConfigParts } from './load.js';
import type { ParseReply } from './parse-worker.js';

export const PARSER_STATES = ['idle', 'running', 'closed'] as const;
export type ParserState = (typeof PARSER_STATES)[number];

/** Rebuilds the LabError thrown in the worker (classes do not survive postMessage). */
function revive(reply: Extract<ParseReply, { ok: false }>): LabError {
  const code = (reply.code in ERRORS ? reply.code : 'LAB_BAD_CONFIG') as LabErrorCode;
  const prefix = `${code}: ${ERRORS[code]}: `;
  return new LabError(code, reply.message.startsWith(prefix) ? reply.message.slice(prefix.length) : reply.message);
}

/**
 * One lazily started worker thread that turns a config file into ConfigParts. If it dies or
 * hangs, pending reloads fail (the running config stays) and the next reload starts a new one.
 */
export class ParserThread {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly pending = new Map<number, { resolve(p: ConfigParts): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  state: ParserState = 'idle';

  constructor(private readonly timeoutMs = 10_000) {}

  /** Starts the thread ahead of the first reload (loading its modules takes a few hundred ms on a busy machine). */
  warm(): void {
    if (this.state !== 'closed') this.ensure();
  }

  parse(file: string): Promise<ConfigParts> {
    if (this.state === 'closed') return Promise.reject(new LabError('LAB_BAD_CONFIG', `${file}: (reload): the service is shutting down`));
    const w = this.ensure();
    const id = ++this.seq;
    return new Promise<ConfigParts>((resolve, reject) => {
      const timer = setTimeout(() => this.failAll(new LabError('LAB_TIMEOUT', `${file}: config parser thread gave no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      w.postMessage({ id, file });
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./parse-worker.js', import.meta.url));
    w.unref(); // never what keeps the process alive
    w.on('message', (reply: ParseReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      if (reply.ok) p.resolve(reply.parts); else p.reject(revive(reply));
    });
    w.on('error', (err) => this.failAll(new LabError('LAB_BAD_CONFIG', `(reload): config parser thread failed: ${err.message}`)));
    w.on('exit', () => { if (this.worker === w) this.failAll(new LabError('LAB_BAD_CONFIG', '(reload): config parser thread exited')); });
    this.worker = w;
    this.state = 'running';
    return w;
  }

  private failAll(err: Error): void {
    const w = this.worker;
    this.worker = undefined;
    if (this.state === 'running') this.state = 'idle';
    for (const [id, p] of this.pending) { clearTimeout(p.timer); p.reject(err); this.pending.delete(id); }
    void w?.terminate();
  }

  close(): Promise<void> {
    this.state = 'closed';
    const w = this.worker;
    this.failAll(new LabError('LAB_BAD_CONFIG', '(reload): the service is shutting down'));
    return w ? w.terminate().then(() => undefined) : Promise.resolve();
  }
}
