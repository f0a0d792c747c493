import { parseArgs } from 'node:util';
import { LabError } from '../../../common/errors.js';

// Command line of `npm run lab -- guardian` (node:util parseArgs; ranges checked here).

export interface GuardianOptions {
  /** how long each held request asks /slow to take: longer than the whole grace period */
  slowMs: number;
  resultsDir?: string;
  help: boolean;
}

/** The after arm's grace period is 10 s: a request at least this long can only end by the guardian or SIGKILL. */
export const SLOW_MIN_MS = 10_000;
/** The service's default SLOW_MAX_MS. */
export const SLOW_MAX_MS = 30_000;

export const GUARDIAN_USAGE = `usage: npm run lab -- guardian [options]
  --slow-ms MS        duration each held GET /slow asks for, ${SLOW_MIN_MS}..${SLOW_MAX_MS} (default 20000)
  --results-dir DIR   default results/ (writes DIR/guardian/)
  --target local      the only target this experiment runs on`;

export function parseGuardianArgs(argv: readonly string[]): GuardianOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { 'slow-ms': { type: 'string' }, 'results-dir': { type: 'string' }, target: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true, allowPositionals: false,
    }));
  } catch (e) {
    throw new LabError('LAB_BAD_OPTION', `${(e as Error).message}; valid options are --slow-ms, --results-dir, --target local, --help`, { cause: e });
  }
  if (values.target !== undefined && values.target !== 'local') throw new LabError('LAB_BAD_OPTION', `--target ${values.target}: the guardian experiment runs on the local target only`);
  const raw = values['slow-ms'] ?? '20000';
  if (!/^\d+$/.test(raw)) throw new LabError('LAB_BAD_OPTION', `--slow-ms needs an integer ${SLOW_MIN_MS}..${SLOW_MAX_MS}, got "${raw}"`);
  const slowMs = Number(raw);
  if (slowMs < SLOW_MIN_MS || slowMs > SLOW_MAX_MS) {
    throw new LabError('LAB_BAD_OPTION', `--slow-ms ${slowMs} is out of range ${SLOW_MIN_MS}..${SLOW_MAX_MS} (shorter requests finish inside the grace period, so the guardian would not fire)`);
  }
  if (values['results-dir'] === '') throw new LabError('LAB_BAD_OPTION', '--results-dir needs a directory');
  return { slowMs, ...(values['results-dir'] ? { resultsDir: values['results-dir'] } : {}), help: values.help ?? false };
}
