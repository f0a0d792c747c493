// Process exit codes of the service and the worker, defined once (docs/architecture.md, "Process contract").
// 70 and above follow sysexits' EX_SOFTWARE (70) family: the process ended itself on purpose.

export const EXIT_CLEAN = 0;
/** Bad configuration (or an unreachable Redis) at start: nothing was served. */
export const EXIT_BAD_CONFIG = 1;
/** The shutdown guardian's deadline fired (or a shutdown step failed): exit forced. */
export const EXIT_GUARDIAN = 70;
/** A second SIGTERM/SIGINT arrived during the shutdown: exit at once. */
export const EXIT_SECOND_SIGNAL = 71;
/** An uncaught exception or unhandled rejection: logged, readiness failed, normal shutdown, then this code. */
export const EXIT_UNCAUGHT = 72;

export const EXIT_CODES = { EXIT_CLEAN, EXIT_BAD_CONFIG, EXIT_GUARDIAN, EXIT_SECOND_SIGNAL, EXIT_UNCAUGHT } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
