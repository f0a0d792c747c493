// Worker-thread entry: reads and validates config files off the event loop (a 10,000-line YAML
// blocklist takes 100+ ms to parse, which would otherwise stall every in-flight request).
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { isLabError } from '../../common/errors.js';
import { readParts } from './load.js';
import { transferables } from './matcher.js';

export interface ParseRequest { id: number; file: string }
export type ParseReply =
  | { id: number; ok: true; parts: Awaited<ReturnType<typeof readParts>> }
  | { id: number; ok: false; code: string; message: string };

// On Linux, setpriority(PRIO_PROCESS, 0) applies to the calling thread only: this thread parses
// at the lowest priority, so on a busy machine the event loop, not the reload, gets the CPU.
try { setPriority(19); } catch { /* not permitted or not supported: parsing still happens off the loop */ }

parentPort?.on('message', (req: ParseRequest) => {
  readParts(req.file).then(
    (parts) => parentPort!.postMessage({ id: req.id, ok: true, parts } satisfies ParseReply, transferables(parts.lookups)),
    (err: unknown) => parentPort!.postMessage({
      id: req.id, ok: false, code: isLabError(err) ? err.code : 'LAB_BAD_CONFIG', message: (err as Error).message,
    } satisfies ParseReply),
  );
});
