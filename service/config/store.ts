import type { Logger } from 'pino';
import { isLabError } from '../../common/errors.js';
import { assemble, defaultConfig, loadConfig, partsFromText, readParts, type Config, type ConfigParts } from './load.js';

export const RELOAD_RESULTS = ['success', 'failure', 'unchanged'] as const;
export type ReloadResult = (typeof RELOAD_RESULTS)[number];

export interface LastReload {
  readonly result: ReloadResult | null;
  readonly error: string | null;
  readonly at: string | null;
  readonly trigger: string | null;
}

export interface ReloadOutcome {
  readonly result: ReloadResult;
  readonly version: number;
  readonly error?: string;
  /** trigger handled → swapped (or refused), including the off-thread read and parse */
  readonly durationMs: number;
  /** the part on the event loop: freeze the parsed parts into a Config and swap the reference */
  readonly swapMs?: number;
}

/** A request's hold on one config: the snapshot stays alive (not retired) until release(). */
export interface Lease {
  readonly config: Config;
  release(): void;
}

/** Callbacks for metrics; kept out of the store so the store has no prom-client dependency. */
export interface StoreObserver {
  reload?(outcome: ReloadOutcome): void;
  swapped?(next: Config, previous: Config): void;
  awaiting?(count: number): void;
  retired?(version: number): void;
}

interface Entry {
  readonly config: Config;
  refs: number;
}

/**
 * Holds the one active config. A reload builds a complete new config off to the side and then
 * replaces a single reference, so a request sees either the old config or the new one, never a
 * mix; a failed build leaves the reference untouched.
 */
export class ConfigStore {
  private active: Entry;
  private readonly awaiting = new Set<Entry>();
  private running: Promise<ReloadOutcome> | null = null;
  private queued: Promise<ReloadOutcome> | null = null;
  private nextVersion: number;
  private readonly swapListeners: Array<(next: Config, previous: Config) => void> = [];
  private last: LastReload = { result: null, error: null, at: null, trigger: null };

  private constructor(
    readonly file: string | undefined,
    initial: Config,
    private readonly log: Logger,
    private readonly observer: StoreObserver,
    private readonly read: (file: string) => Promise<ConfigParts>,
  ) {
    this.active = { config: initial, refs: 0 };
    this.nextVersion = initial.version + 1;
  }

  /** Loads the initial config; a bad file here is a start-up error (exit 1), not a failed reload. */
  /**
   * Loads the initial config in this thread (a bad file here is a start-up error, exit 1);
   * later reloads use `read`, e.g. ParserThread.parse to keep parsing off the event loop.
   */
  static async open(file: string | undefined, log: Logger, observer: StoreObserver = {}, read: (file: string) => Promise<ConfigParts> = readParts): Promise<ConfigStore> {
    const initial = file ? await loadConfig(file, 1) : defaultConfig(1);
    log.info({ event: 'config-loaded', version: 1, source: initial.source, checksum: initial.checksum }, 'config loaded');
    return new ConfigStore(file, initial, log, observer, read);
  }

  get current(): Config {
    return this.active.config;
  }

  get lastReload(): LastReload {
    return this.last;
  }

  get awaitingRetirement(): number {
    return this.awaiting.size;
  }

  onSwap(fn: (next: Config, previous: Config) => void): void {
    this.swapListeners.push(fn);
  }

  /** Called once at request start; the request uses lease.config until it ends. */
  acquire(): Lease {
    const entry = this.active;
    entry.refs++;
    let released = false;
    return {
      config: entry.config,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.refs === 0 && this.awaiting.has(entry)) this.retire(entry);
      },
    };
  }

  /**
   * Re-reads the file. Calls that arrive while a reload runs share one follow-up reload, so a
   * burst of triggers costs at most two reads and the last one sees the newest file.
   */
  reload(trigger = 'api'): Promise<ReloadOutcome> {
    if (!this.running) {
      this.running = this.runReload(trigger).finally(() => { this.running = null; });
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.reload(trigger);
    });
    return this.queued;
  }

  /** Swaps in config text directly (benchmark: isolates parse+validate+swap from disk I/O). */
  async reloadFromText(file: string, text: string): Promise<ReloadOutcome> {
    return this.apply('bench', () => partsFromText(file, text));
  }

  private async runReload(trigger: string): Promise<ReloadOutcome> {
    if (!this.file) {
      return this.record(trigger, { result: 'unchanged', version: this.current.version, durationMs: 0 });
    }
    const file = this.file;
    return this.apply(trigger, () => this.read(file));
  }

  private async apply(trigger: string, build: () => Promise<ConfigParts>): Promise<ReloadOutcome> {
    const t0 = performance.now();
    let parts: ConfigParts;
    try {
      parts = await build();
    } catch (err) {
      const error = isLabError(err) ? err.message : `LAB_BAD_CONFIG: ${(err as Error).message}`;
      const outcome: ReloadOutcome = { result: 'failure', version: this.current.version, error, durationMs: performance.now() - t0 };
      this.log.warn({ event: 'config-reload-failed', trigger, version: this.current.version, err: error }, 'config reload refused; running config kept');
      return this.record(trigger, outcome);
    }
    if (parts.checksum === this.current.checksum) {
      const outcome: ReloadOutcome = { result: 'unchanged', version: this.current.version, durationMs: performance.now() - t0 };
      this.log.info({ event: 'config-unchanged', trigger, version: this.current.version }, 'config unchanged');
      return this.record(trigger, outcome);
    }
    const tSwap = performance.now();
    const next = assemble(this.nextVersion++, parts);
    const previous = this.active;
    this.active = { config: next, refs: 0 };
    const swapMs = performance.now() - tSwap;
    const durationMs = performance.now() - t0;
    this.awaiting.add(previous);
    if (previous.refs === 0) this.retire(previous);
    this.log.info(
      { event: 'config-swapped', trigger, version: next.version, previousVersion: previous.config.version, checksum: next.checksum, durationMs, swapMs, awaiting: this.awaiting.size },
      'config swapped',
    );
    this.observer.swapped?.(next, previous.config);
    for (const fn of this.swapListeners) {
      try {
        fn(next, previous.config);
      } catch (err) {
        this.log.error({ event: 'config-swap-listener-failed', err: (err as Error).message }, 'swap listener failed');
      }
    }
    return this.record(trigger, { result: 'success', version: next.version, durationMs, swapMs });
  }

  private record(trigger: string, outcome: ReloadOutcome): ReloadOutcome {
    this.last = { result: outcome.result, error: outcome.error ?? null, at: new Date().toISOString(), trigger };
    this.observer.reload?.(outcome);
    this.observer.awaiting?.(this.awaiting.size);
    return outcome;
  }

  private retire(entry: Entry): void {
    this.awaiting.delete(entry);
    this.log.info({ event: 'config-retired', version: entry.config.version, awaiting: this.awaiting.size }, 'old config retired');
    this.observer.retired?.(entry.config.version);
    this.observer.awaiting?.(this.awaiting.size);
  }
}
