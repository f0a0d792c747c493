import { Server as NetServer, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatFixes } from '../common/levers.js';
import { exitWith } from '../common/log.js';
import type { AnsweredRequest } from './connections.js';
import type { ServiceContext } from './context.js';
import { closeQueue, closeRedis } from './deps.js';
import { CLOSED_DEPS, CLOSING, DRAINING, EXITING, READY, STARTING } from './lifecycle.js';

import { EXIT_CLEAN, EXIT_GUARDIAN, EXIT_SECOND_SIGNAL, EXIT_UNCAUGHT } from '../common/exit-codes.js';

export { EXIT_CLEAN, EXIT_GUARDIAN, EXIT_SECOND_SIGNAL } from '../common/exit-codes.js';

const REPORTED_REQUESTS = 20;
/** client-window: the last idle socket closes this long before the guardian deadline, leaving time to close the dependencies. */
export const IDLE_CLOSE_MARGIN_MS = 1000;

/**
 * The shutdown levers of one service process (see docs/service.md):
 * - pid1: a SIGTERM/SIGINT handler exists at all (without it the levers below never run);
 * - readiness: /readyz fails at once, serving goes on for DRAIN_DELAY_MS;
 * - drain: stop accepting, Connection: close, idle sockets closed, wait in-flight, close the
 *   queue producer then Redis, all under one guardian deadline (exit 70);
 *   without it: close Redis and exit, as many services do;
 * - requeue: the budget that routes check before starting work (see routes/requeue.ts);
 * - surge: idle keep-alive sockets close spread over CLOSE_JITTER_MS instead of all at once.
 * IDLE_CLOSE=client-window (with drain) keeps idle sockets open past the listener's close instead:
 * a request on one is answered with Connection: close, and one still idle closes after its client's
 * idle window, capped to leave IDLE_CLOSE_MARGIN_MS of the deadline.
 * A second signal during shutdown exits at once (71). The shutdown runs once.
 * An uncaught exception or unhandled rejection runs the same shutdown (readiness failed at once,
 * the guardian armed whatever the levers) and exits 72 instead of 0.
 */
export class Shutdown {
  readonly #ctx: ServiceContext;
  readonly #servers: Server[] = [];
  readonly #openDeps = new Set(['events', 'queue', 'redis']);
  #run: Promise<void> | undefined;
  #signalAt = 0;
  #guardian: NodeJS.Timeout | undefined;
  #fatal = false;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  /** Servers whose listeners close and whose sockets drain; the HTTP server, and HTTPS if any. */
  addServer(server: Server): void {
    this.#servers.push(server);
  }

  /** The pid1 lever: without it the process keeps Node's default, dying on SIGTERM mid-request. */
  installSignalHandlers(): void {
    if (!this.#ctx.env.fixes.has('pid1')) return;
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => this.onSignal(sig));
  }

  onSignal(signal: NodeJS.Signals): void {
    if (this.#run) {
      this.#secondSignal(signal);
      return;
    }
    this.#start(signal);
  }

  /** An uncaught error: fail readiness now, then the normal shutdown under the guardian, exit 72. */
  onFatal(): void {
    this.#fatal = true;
    const { lifecycle, log } = this.#ctx;
    if (lifecycle.state === READY) {
      lifecycle.to(DRAINING);
      log.info({ event: 'readiness-flipped', drainDelayMs: 0, state: lifecycle.state, reason: 'uncaught' }, '/readyz fails from now: uncaught error');
    }
    this.#signalAt ||= Date.now();
    this.#armGuardian();
    if (!this.#run) this.#start('uncaught');
  }

  #start(trigger: NodeJS.Signals | 'uncaught'): void {
    this.#run = this.#shutdown(trigger).catch((err: unknown) => {
      this.#ctx.log.error({ event: 'shutdown-failed', err }, `shutdown failed: ${(err as Error).message}`);
      this.#exit(EXIT_GUARDIAN, 'shutdown failed');
    });
  }

  async #shutdown(signal: NodeJS.Signals | 'uncaught'): Promise<void> {
    const { env, log, lifecycle, tracker, budget } = this.#ctx;
    this.#signalAt = Date.now();
    log.info({ event: 'signal', signal, state: lifecycle.state, fixes: formatFixes(env.fixes), inFlight: tracker.inFlightCount, openSockets: tracker.openSockets }, `${signal} received`);
    if (lifecycle.state === STARTING) this.#exit(EXIT_CLEAN, 'signal before the service was ready; nothing to drain');

    const drain = env.fixes.has('drain');
    const readiness = env.fixes.has('readiness');
    const drainDelayMs = readiness ? env.drainDelayMs : 0;
    this.#ctx.shutdown.active = true;
    tracker.startCounting();
    budget.start(drain ? env.shutdownDeadlineMs : drainDelayMs);
    if (drain) {
      this.#armGuardian();
      tracker.closeAfterCurrentResponses();
      this.#drainStreams();
    }
    if (readiness) {
      if (lifecycle.state !== DRAINING) lifecycle.to(DRAINING);
      log.info({ event: 'readiness-flipped', drainDelayMs, state: lifecycle.state }, `/readyz fails from now; serving on for ${drainDelayMs} ms`);
      await sleep(drainDelayMs);
    }
    if (!drain) return this.#naiveExit();

    lifecycle.to(CLOSING);
    if (!readiness) log.info({ event: 'readiness-flipped', drainDelayMs: 0, state: lifecycle.state }, '/readyz fails from now, together with the listener close');
    this.#closeListeners();
    await tracker.whenEmpty();
    log.info({ event: 'connections-drained', ...tracker.counts, ms: Date.now() - this.#signalAt }, `connections drained: ${tracker.counts.idle} idle closed, ${tracker.counts.afterResponse} closed after their last response`);
    // Reverse dependency order: the event ticker/reader and the producer work through Redis, so they go first.
    await this.#closeDep('events', 1, () => this.#closeEvents());
    await this.#closeDep('queue', 2, () => closeQueue(this.#ctx.deps));
    await this.#closeDep('redis', 3, () => closeRedis(this.#ctx.deps.redis));
    lifecycle.to(CLOSED_DEPS);
    this.#exit(EXIT_CLEAN, 'clean shutdown');
  }

  /**
   * SSE/WebSocket streams never end by themselves: each gets its reconnect signal at a random
   * moment of the window STREAM_DRAIN_MS (capped to leave 1 s of the deadline), so clients move to
   * other pods spread out, before the listener closes and the drain waits for them.
   */
  #drainStreams(): void {
    const { env, log, streams } = this.#ctx;
    const windowMs = Math.max(0, Math.min(env.streamDrainMs, env.shutdownDeadlineMs - 1000));
    log.info({ event: 'streams-draining', streams: streams.size, sse: streams.count('sse'), ws: streams.count('ws'), windowMs }, `${streams.size} event streams get a reconnect signal spread over ${windowMs} ms`);
    streams.drain(windowMs);
  }

  async #closeEvents(): Promise<void> {
    this.#ctx.ticker.stop();
    await this.#ctx.events.close();
  }

  #closeListeners(): void {
    const { env, log, tracker } = this.#ctx;
    const jitterMs = env.fixes.has('surge') ? env.closeJitterMs : 0;
    const window = env.idleClose === 'client-window';
    const idle = tracker.idleSockets();
    for (const server of this.#servers) {
      const done = () => undefined; // ERR_SERVER_NOT_RUNNING from a server that never listened is harmless here
      if (jitterMs > 0 || window) {
        // Node >= 19's http.Server.close() also destroys every idle keep-alive socket at the same
        // instant: the thundering reconnect the surge lever exists to avoid, and the idle-close race
        // client-window waits out. net.Server's close stops only the listener; the idle sockets are
        // closed below.
        NetServer.prototype.close.call(server, done);
      } else {
        tracker.markIdleClose(idle);
        server.close(done);
      }
    }
    if (window) {
      this.#closeIdleAfterWindow(idle, jitterMs);
      return;
    }
    log.info({ event: 'listener-closed', openSockets: tracker.openSockets, idleSockets: idle.length, inFlight: tracker.inFlightCount, jitterMs, idleClose: env.idleClose }, `listener closed; ${idle.length} idle keep-alive sockets closing${jitterMs > 0 ? ` over ${jitterMs} ms` : ' now'}`);
    if (jitterMs > 0) {
      for (const socket of idle) setTimeout(() => tracker.closeIfIdle(socket), Math.random() * jitterMs);
    }
  }

  /**
   * client-window: a client drops a connection it kept idle for its own idle window, and one that
   * is reused gets this pod's Connection: close (lifecycleHook) and closes after that response;
   * either way no request is written onto a socket this pod is closing. Only a socket still idle
   * when the window cannot be waited out (the cap, IDLE_CLOSE_MARGIN_MS before the deadline) is
   * closed by the pod, spread over the surge window ending at the cap.
   */
  #closeIdleAfterWindow(idle: readonly Socket[], jitterMs: number): void {
    const { env, log, tracker } = this.#ctx;
    const now = Date.now();
    const capAt = Math.max(now, this.#signalAt + env.shutdownDeadlineMs - IDLE_CLOSE_MARGIN_MS);
    let capped = 0;
    for (const socket of idle) {
      const windowEnd = (tracker.idleSince(socket) ?? now) + env.clientIdleWindowMs;
      const at = windowEnd < capAt ? windowEnd : capAt - Math.random() * Math.min(jitterMs, capAt - now);
      if (windowEnd >= capAt) capped++;
      setTimeout(() => tracker.closeIfIdle(socket), Math.max(0, at - now));
    }
    log.info({
      event: 'listener-closed', openSockets: tracker.openSockets, idleSockets: idle.length, inFlight: tracker.inFlightCount, jitterMs,
      idleClose: env.idleClose, clientIdleWindowMs: env.clientIdleWindowMs, capMs: capAt - this.#signalAt, capped,
    }, `listener closed; ${idle.length} idle keep-alive sockets stay open until their client's ${env.clientIdleWindowMs} ms idle window ends (${capped} capped at +${capAt - this.#signalAt} ms after the signal); a request on one is answered with Connection: close`);
  }

  async #closeDep(name: string, order: number, close: () => Promise<void>): Promise<void> {
    const t0 = Date.now();
    await close();
    this.#openDeps.delete(name);
    this.#ctx.log.info({ event: 'dependency-closed', dependency: name, order, ms: Date.now() - t0, inFlight: this.#ctx.tracker.inFlightCount }, `${name} closed`);
  }

  /** What many services do on SIGTERM: close Redis, exit; in-flight requests and open sockets are cut. */
  async #naiveExit(): Promise<void> {
    // The event ticker and reader just stop with the process (not a dependency this teardown orders).
    void this.#closeEvents();
    this.#openDeps.delete('events');
    await this.#closeDep('redis', 1, () => closeRedis(this.#ctx.deps.redis));
    await this.#closeDep('queue', 2, () => closeQueue(this.#ctx.deps));
    this.#ctx.lifecycle.to(CLOSED_DEPS);
    this.#forceClose('exit');
    this.#exit(EXIT_CLEAN, 'exit without draining');
  }

  /** Armed once, counted from the signal (or the uncaught error). */
  #armGuardian(): void {
    const { env, log, lifecycle, tracker, metrics } = this.#ctx;
    if (this.#guardian) return;
    this.#guardian = setTimeout(() => {
      metrics.deadlineMisses.inc();
      const now = Date.now();
      const requests = tracker.inFlight().slice(0, REPORTED_REQUESTS).map((r) => ({ method: r.method, url: r.url, ageMs: now - r.startedAt }));
      log.error({
        event: 'guardian-fired', deadlineMs: env.shutdownDeadlineMs, state: lifecycle.state, inFlight: tracker.inFlightCount,
        requests, openSockets: tracker.openSockets, openDependencies: [...this.#openDeps],
      }, `shutdown deadline of ${env.shutdownDeadlineMs} ms passed with ${tracker.inFlightCount} requests in flight, ${tracker.openSockets} sockets and [${[...this.#openDeps].join(', ')}] still open; forcing exit ${EXIT_GUARDIAN}`);
      this.#forceClose('guardian');
      this.#exit(EXIT_GUARDIAN, 'guardian deadline fired');
    }, Math.max(0, this.#signalAt + env.shutdownDeadlineMs - Date.now()));
  }

  #secondSignal(signal: NodeJS.Signals): void {
    const { log, lifecycle, tracker } = this.#ctx;
    log.warn({ event: 'second-signal', signal, state: lifecycle.state, inFlight: tracker.inFlightCount, openSockets: tracker.openSockets, sinceFirstMs: Date.now() - this.#signalAt }, `second signal (${signal}) during shutdown: exiting at once`);
    this.#forceClose('second-signal');
    this.#exit(EXIT_SECOND_SIGNAL, 'second signal during shutdown');
  }

  /** One compact line instead of one per request: the lab's evidence quotes the first and last answer after the signal. */
  #logAnswered(): void {
    const { count, first, last } = this.#ctx.tracker.answeredAfterSignal;
    const rel = (a: AnsweredRequest | undefined) => (a ? { method: a.method, url: a.url, status: a.status, msAfterSignal: a.at - this.#signalAt } : null);
    this.#ctx.log.info({ event: 'answered-after-signal', count, first: rel(first), last: rel(last) },
      `${count} responses finished after the signal${last ? `; last ${last.method} ${last.url} ${last.status} at +${last.at - this.#signalAt} ms` : ''}`);
  }

  #forceClose(by: string): void {
    const { log, tracker, streams } = this.#ctx;
    streams.stop();
    const { count, withRequest } = tracker.forceCloseAll();
    log.warn({ event: 'sockets-force-closed', by, count, withRequest }, `${count} sockets force-closed (${withRequest} with a request in flight)`);
  }

  #exit(code: number, msg: string): never {
    const { log, lifecycle } = this.#ctx;
    if (lifecycle.state !== EXITING) lifecycle.to(EXITING);
    if (this.#signalAt) this.#logAnswered();
    // A clean shutdown after an uncaught error still reports the error to the orchestrator.
    const exitCode = this.#fatal && code === EXIT_CLEAN ? EXIT_UNCAUGHT : code;
    return exitWith(log, exitCode, this.#fatal && code === EXIT_CLEAN ? `${msg} after an uncaught error` : msg, { shutdownMs: this.#signalAt ? Date.now() - this.#signalAt : 0 });
  }
}
