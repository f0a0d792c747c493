import type { Logger } from 'pino';
import { EXIT_UNCAUGHT } from './exit-codes.js';

export type FatalOrigin = 'uncaughtException' | 'unhandledRejection';

/**
 * Routes an uncaught exception or unhandled rejection to `onFatal` (which runs the process's
 * normal shutdown and exits EXIT_UNCAUGHT) instead of Node's default of dying at once mid-request.
 * The first one is handled; later ones are only logged, since the shutdown is already under way
 * with its guardian armed. If `onFatal` itself throws, the process exits at once.
 */
export function installFatalHandlers(log: Logger, onFatal: (err: unknown, origin: FatalOrigin) => void): void {
  let handling = false;
  const handle = (err: unknown, origin: FatalOrigin) => {
    log.error({ event: 'uncaught', origin, err, again: handling }, `${origin}: ${(err as Error)?.message ?? String(err)}`);
    if (handling) return;
    handling = true;
    try {
      onFatal(err, origin);
    } catch (e) {
      log.error({ event: 'exit', exitCode: EXIT_UNCAUGHT, err: e }, 'the fatal-error shutdown failed to start');
      log.flush();
      process.exit(EXIT_UNCAUGHT);
    }
  };
  process.on('uncaughtException', (err) => handle(err, 'uncaughtException'));
  process.on('unhandledRejection', (reason) => handle(reason, 'unhandledRejection'));
}

/** Test hook: throws asynchronously (or rejects unhandled) when LAB_TEST_FAULT names a kind; never set in production. */
export function scheduleTestFault(kind: string | undefined, afterMs = 0): void {
  if (kind !== 'exception' && kind !== 'rejection') return;
  setTimeout(() => {
    if (kind === 'exception') throw new Error('LAB_TEST_FAULT: an exception nobody catches');
    void Promise.reject(new Error('LAB_TEST_FAULT: a rejection nobody handles'));
  }, afterMs);
}
