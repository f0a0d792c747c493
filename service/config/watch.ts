import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';

// kubelet's atomic writer publishes a ConfigMap/Secret update by writing a fresh timestamped
// directory and renaming a `..data_tmp` symlink over `..data`. That rename is the one moment the
// new files are complete, so it is the only file-system event we act on: a watcher on the files
// themselves would fire mid-write and read half a file.
export const DATA_LINK = '..data';

export const WATCH_STATES = ['watching', 'closed'] as const;
export type WatchState = (typeof WATCH_STATES)[number];

export interface ConfigWatch {
  readonly state: WatchState;
  close(): void;
}

export interface WatchOptions {
  file: string | undefined;
  /** triggers within this window coalesce into one reload */
  debounceMs: number;
  log: Logger;
  onTrigger(trigger: string): void;
  /** false in processes that must not own SIGHUP (benchmarks in one process) */
  sighup?: boolean;
}

/** SIGHUP plus the `..data` swap in the config file's directory, debounced into one trigger. */
export function watchConfig(opts: WatchOptions): ConfigWatch {
  let state: WatchState = 'watching';
  let timer: NodeJS.Timeout | undefined;
  let firstPendingAt = 0;
  const reasons = new Set<string>();
  // A steady stream of events must not postpone the reload forever.
  const maxWaitMs = opts.debounceMs * 10;

  const fire = () => {
    timer = undefined;
    const trigger = [...reasons].join('+');
    reasons.clear();
    if (state === 'watching') opts.onTrigger(trigger);
  };
  const poke = (reason: string) => {
    if (state !== 'watching') return;
    reasons.add(reason);
    const now = Date.now();
    if (!timer) firstPendingAt = now;
    clearTimeout(timer);
    const wait = Math.max(0, Math.min(opts.debounceMs, firstPendingAt + maxWaitMs - now));
    timer = setTimeout(fire, wait);
  };

  const onHup = () => poke('SIGHUP');
  if (opts.sighup !== false) process.on('SIGHUP', onHup);

  let watcher: FSWatcher | undefined;
  if (opts.file) {
    const dir = dirname(opts.file);
    try {
      watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === DATA_LINK) poke('..data');
      });
      watcher.on('error', (err) => opts.log.warn({ event: 'config-watch-error', dir, err: err.message }, 'config directory watch failed; SIGHUP still works'));
    } catch (err) {
      opts.log.warn({ event: 'config-watch-error', dir, err: (err as Error).message }, 'cannot watch config directory; SIGHUP still works');
    }
  }

  return {
    get state() { return state; },
    close() {
      if (state === 'closed') return;
      state = 'closed';
      clearTimeout(timer);
      if (opts.sighup !== false) process.off('SIGHUP', onHup);
      watcher?.close();
    },
  };
}
