import { performance } from 'node:perf_hooks';
import { Pool, type Dispatcher, type buildConnector } from 'undici';
import { LabError } from '../common/errors.js';
import { classifyError, classifyStatus, emptyCounts, type ClassCounts } from './classes.js';
import { ArrivalSchedule, type RateProfile } from './arrivals.js';
import { RequestMix } from './mix.js';
import type { AcceptedJob, PathKind, RequestRecord } from './records.js';
import type { Scenario } from './scenario.js';
import { DEFAULT_CLIENT, MAX_GO_RESENDS, goRetries, idleOptions, isReplayable, type ClientName } from './client-semantics.js';
import { ATTEMPT_HEADER, beginAttempt, endAttempt, responseByteArrived, type AttemptSocket } from './socket-tags.js';

/** Where arrivals go. With several targets, arrival i goes to targets[i % n] (an even split). */
export interface LoadTarget {
  path: PathKind;
  origin: string;
  /** undici connector, e.g. the local target's l4Connect('service'); default: plain TCP to origin */
  connect?: buildConnector.connector;
}

export interface GeneratorOptions {
  scenario: Scenario;
  rate: RateProfile;
  targets: LoadTarget[];
  /** false: a new connection per request (`Connection: close`, no pipelining) */
  keepAlive?: boolean;
  /** a send later than this behind its scheduled time is not sent: it is a dropped iteration */
  maxLagMs?: number;
  /** requests in flight beyond this are dropped iterations too (the generator's own ceiling) */
  maxInFlight?: number;
  timeoutMs?: number;
  /** makes idempotency keys unique across runs sharing a Redis */
  runId: string;
  seed?: number;
  /** whose resend rules apply (loadtest/client-semantics.ts): `go` (k6's, the default) or `node` (none) */
  client?: ClientName;
  onRecord?: (r: RequestRecord) => void;
}

/** A write that failed: Go counts such an attempt as `nothingWrittenError` (the request is one small write). */
function isWriteError(err: unknown): boolean {
  let e: any = err;
  for (let i = 0; e && i < 5; i++, e = e.cause) if (e.syscall === 'write' || e.code === 'EPIPE') return true;
  return false;
}

export const GEN_STATES = ['idle', 'running', 'stopping', 'stopped'] as const;
export type GeneratorState = (typeof GEN_STATES)[number];

const nowMs = () => performance.timeOrigin + performance.now();

export class LoadGenerator {
  readonly records: RequestRecord[] = [];
  readonly accepted: AcceptedJob[] = [];
  readonly counts: ClassCounts = emptyCounts();
  /** what a client without resends would have counted: each request by its first attempt */
  readonly rawCounts: ClassCounts = emptyCounts();
  /** requests the client resent (at least once) */
  retried = 0;
  readonly client: ClientName;
  dropped = 0;
  droppedLag = 0;
  droppedInFlight = 0;
  sent = 0;
  inFlight = 0;
  state: GeneratorState = 'idle';
  startedAt = 0;

  private readonly schedule: ArrivalSchedule;
  private readonly mix: RequestMix;
  private readonly dispatchers: Dispatcher[];
  private readonly keepAlive: boolean;
  private readonly maxLagMs: number;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: GeneratorOptions) {
    if (opts.targets.length === 0) throw new LabError('LAB_BAD_OPTION', 'the load generator needs at least one target');
    this.schedule = new ArrivalSchedule(opts.rate);
    this.mix = new RequestMix(opts.scenario, opts.seed);
    this.keepAlive = opts.keepAlive ?? opts.scenario.keepAlive;
    this.client = opts.client ?? DEFAULT_CLIENT;
    this.maxLagMs = opts.maxLagMs ?? 250;
    this.maxInFlight = opts.maxInFlight ?? 4000;
    this.timeoutMs = opts.timeoutMs ?? opts.scenario.timeoutSeconds * 1000;
    this.dispatchers = opts.targets.map(
      (t) =>
        new Pool(t.origin, {
          ...(t.connect ? { connect: t.connect } : {}),
          connections: null,
          // pipelining 0 disables keep-alive in undici: the no-reuse variant opens a connection per request
          pipelining: this.keepAlive ? 1 : 0,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          // how long an idle connection stays in the pool: Go's (ignores the server's hint) or Node's
          ...idleOptions(this.client),
        }),
    );
  }

  start(): void {
    if (this.state !== 'idle') throw new LabError('LAB_BAD_OPTION', `generator already ${this.state}`);
    this.state = 'running';
    this.startedAt = nowMs();
    this.tick();
  }

  /** Offered rate so far (arrivals due per second since start, including dropped ones). */
  offered(): number {
    return this.sent + this.dropped;
  }

  private tick = (): void => {
    if (this.state !== 'running') return;
    const now = nowMs();
    // bounded: at most the arrivals already due; each either sent or counted as dropped
    for (;;) {
      const due = this.startedAt + this.schedule.timeOf(this.next);
      if (due > now) break;
      const i = this.next++;
      if (now - due > this.maxLagMs) { this.dropped++; this.droppedLag++; continue; }
      if (this.inFlight >= this.maxInFlight) { this.dropped++; this.droppedInFlight++; continue; }
      this.fire(i, due);
    }
    const nextDue = this.startedAt + this.schedule.timeOf(this.next);
    const wait = Math.min(Math.max(0, nextDue - nowMs()), 100);
    this.timer = setTimeout(this.tick, wait >= 1 ? Math.floor(wait) : 0);
  };

  private fire(i: number, tSched: number): void {
    const pick = this.mix.next();
    const tIdx = i % this.opts.targets.length;
    const target = this.opts.targets[tIdx]!;
    const dispatcher = this.dispatchers[tIdx]!;
    const isJob = pick.entry.method === 'POST' && pick.entry.body === undefined;
    const key = `${this.opts.runId}-${i}`;
    const body = pick.entry.body !== undefined ? pick.entry.body || null
      : isJob ? JSON.stringify({ account: pick.account, amount: pick.amount, idempotencyKey: key }) : null;
    const headers: Record<string, string> = { ...(body ? { 'content-type': pick.entry.contentType ?? 'application/json' } : {}), ...pick.entry.headers };
    const rec: RequestRecord = {
      t_sched: tSched, t_start: nowMs(), t_end: 0, route: pick.entry.name, path: target.path, status: 0, class: 'other',
      idempotent: isReplayable(pick.entry.method, headers),
    };
    this.inFlight++;
    this.sent++;
    const onAccepted = isJob ? () => this.accepted.push({ idempotencyKey: key, account: pick.account, amount: pick.amount }) : undefined;
    this.send(rec, dispatcher, { path: pick.entry.path, method: pick.entry.method, headers, body }, onAccepted)
      .finally(() => {
        rec.t_end = nowMs();
        this.inFlight--;
        this.counts[rec.class]++;
        this.rawCounts[rec.rawClass ?? rec.class]++;
        if (rec.retries) this.retried++;
        this.records.push(rec);
        this.opts.onRecord?.(rec);
        if (this.inFlight === 0) this.idle?.();
      });
  }

  /**
   * One request as the client sends it: one attempt (`node`), or as many as Go's Transport would make
   * (`go`: loadtest/client-semantics.ts goRetries, bounded by MAX_GO_RESENDS), all under the one
   * deadline, each resend through the pool as Go's getConn (an idle connection if any, else a new one).
   * The record is tagged with the first attempt's connection; a resent request keeps that attempt's
   * failure as rawClass/rawErrorCode and counts its resends.
   */
  private async send(
    rec: RequestRecord, dispatcher: Dispatcher,
    req: { path: string; method: string; headers: Record<string, string>; body: string | null },
    onAccepted: (() => void) | undefined,
  ): Promise<void> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    for (let attempt = 0; attempt <= MAX_GO_RESENDS; attempt++) {
      const id = beginAttempt();
      let sock: AttemptSocket | undefined;
      try {
        const res = await dispatcher.request({ ...req, headers: { ...req.headers, [ATTEMPT_HEADER]: id }, reset: !this.keepAlive, signal });
        sock = endAttempt(id);
        if (attempt === 0) this.tag(rec, sock, true);
        rec.status = res.statusCode;
        const pod = res.headers['x-pod'];
        if (typeof pod === 'string') rec.pod = pod;
        // read the whole body: dump() would swallow a reset that arrives mid-body
        await res.body.arrayBuffer();
        rec.class = classifyStatus(res.statusCode);
        if (res.statusCode === 202) onAccepted?.();
        return;
      } catch (err: any) {
        sock ??= endAttempt(id);
        const cls = classifyError(err);
        const code = String(err?.code ?? err?.name ?? 'unknown');
        const responseByte = rec.status > 0 || responseByteArrived(sock);
        if (attempt === 0) this.tag(rec, sock, responseByte);
        const resend = this.client === 'go' && attempt < MAX_GO_RESENDS && goRetries({
          reused: sock?.reused ?? false, responseByte, nothingWritten: sock === undefined || isWriteError(err),
          replayable: rec.idempotent ?? false, cls,
        });
        if (!resend) { rec.class = cls; rec.errorCode = code; return; }
        if (attempt === 0) { rec.rawClass = cls; rec.rawErrorCode = code; }
        rec.retries = attempt + 1;
      }
    }
  }

  private tag(rec: RequestRecord, sock: AttemptSocket | undefined, responseByte: boolean): void {
    rec.reused = sock?.reused ?? false;
    rec.respByte = responseByte;
    if (sock) { rec.sockAgeMs = Math.round(sock.ageMs); rec.peer = sock.peer; }
  }

  /**
   * Stops scheduling, waits for in-flight requests (bounded: by default the request timeout, 0 to
   * abort them at once, e.g. on Ctrl-C), then closes the pools. Memoised: the first call's bound wins.
   */
  stop(maxWaitMs = this.timeoutMs + 2000): Promise<void> {
    this.stopping ??= (async () => {
      if (this.state === 'idle') this.startedAt = nowMs();
      this.state = 'stopping';
      clearTimeout(this.timer);
      if (this.inFlight > 0 && maxWaitMs > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, maxWaitMs);
          this.idle = () => { clearTimeout(t); resolve(); };
        });
      }
      await Promise.allSettled(this.dispatchers.map((d) => d.destroy()));
      this.state = 'stopped';
    })();
    return this.stopping;
  }

  summary(): { sent: number; dropped: number; droppedLag: number; droppedInFlight: number; counts: ClassCounts; rawCounts: ClassCounts; retried: number; client: ClientName; elapsedMs: number } {
    return {
      sent: this.sent, dropped: this.dropped, droppedLag: this.droppedLag, droppedInFlight: this.droppedInFlight,
      counts: { ...this.counts }, rawCounts: { ...this.rawCounts }, retried: this.retried, client: this.client, elapsedMs: nowMs() - this.startedAt,
    };
  }
}

