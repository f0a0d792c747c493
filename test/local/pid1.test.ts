import { describe, test } from 'node:test';
import { handledSigterm, ignoredSigterm, terminateOnce } from './pid1-termination.js';

// A SIGTERM PID 1 handles: exit < 1 s after it, a bound that needs the machine to itself (the serial
// pass). The SIGTERM PID 1 ignores (the whole grace period, then SIGKILL): pid1-ignored.test.ts.

describe('PID 1 and SIGTERM (real PID namespaces)', () => {
  test('exec form with a handler: SIGTERM delivered, the handler runs at once, exit 0', async () => {
    handledSigterm(await terminateOnce({ form: 'exec', onSigterm: 'graceful' }));
  });

  test('fallback without PID namespace applies the same rule from SigCgt', async () => {
    ignoredSigterm(await terminateOnce({ form: 'shell', onSigterm: 'graceful' }, true));
    handledSigterm(await terminateOnce({ form: 'exec', onSigterm: 'graceful' }, true));
  });
});
