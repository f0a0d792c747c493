import pino, { type Logger } from 'pino';

// Synchronous destination: a process that exits right after logging (guardian, second signal)
// must not lose its last lines, which is the whole point of the shutdown logs.
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      name,
      base: { pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      level: process.env.LOG_LEVEL ?? 'info',
    },
    pino.destination({ dest: 1, sync: true }),
  );
}

/** Flush logs, then exit. Every exit path of service and worker goes through here. */
export function exitWith(log: Logger, code: number, msg: string, extra: Record<string, unknown> = {}): never {
  log.info({ event: 'exit', exitCode: code, ...extra }, msg);
  log.flush();
  process.exit(code);
}
