import type { Readable } from 'node:stream';

// Pino writes one JSON object per line; anything else a process prints stays a raw string. Shared by
// the lab's process harness (lab/support/procs.ts) and the tests' (test/helpers/proc.ts).

/** Calls `onLine` for each complete line of `stream` (parsed JSON, or the raw text), then `onChunk` once per chunk. */
export function readJsonLines(stream: Readable, onLine: (parsed: Record<string, unknown> | undefined, raw: string) => void, onChunk?: () => void): void {
  let buf = '';
  stream.on('data', (b: Buffer) => {
    buf += b.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const raw = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let parsed: Record<string, unknown> | undefined;
      try {
        const v: unknown = JSON.parse(raw);
        parsed = v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
      } catch { parsed = undefined; }
      onLine(parsed, raw);
    }
    onChunk?.();
  });
}
