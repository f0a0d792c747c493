// Entry point: `node dist/service/main.js`, configured by environment only (docs/architecture.md).
import { isLabError } from '../common/errors.js';
import { createLogger, exitWith } from '../common/log.js';
import { EXIT_BAD_CONFIG } from '../common/exit-codes.js';
import { parseServiceEnv, type ServiceEnv } from './env.js';

const log = createLogger('service');

function failStart(err: unknown): never {
  const code = isLabError(err) ? err.code : 'UNEXPECTED';
  log.error({ event: 'start-failed', code, err: (err as Error).message }, (err as Error).message);
  return exitWith(log, EXIT_BAD_CONFIG, 'could not start');
}

async function main(): Promise<void> {
  let env: ServiceEnv;
  try {
    env = parseServiceEnv(process.env);
  } catch (err) {
    failStart(err);
  }
  // Only now the framework and the Redis clients load: a bad environment is refused in a fraction of the time.
  const { runService } = await import('./run.js');
  await runService(env, log, failStart);
}

main().catch(failStart);
