import { request } from 'undici';
import type { LocalCluster } from '../../targets/local/cluster.js';
import type { StreamSample } from './records.js';
import { SERVICE } from './manifest.js';

const SCRAPE_TIMEOUT_MS = 1500;
const OPEN_RE = /^lab_streams_open\{kind="(sse|ws)"\} (\d+)/gm;

export const SAMPLER_STATES = { Idle: 'idle', Running: 'running', Stopped: 'stopped' } as const;
export type SamplerState = (typeof SAMPLER_STATES)[keyof typeof SAMPLER_STATES];

/** Scrapes lab_streams_open from every live service pod (terminating ones too) every `everyMs`: the chart's streams-per-pod lines. */
export class StreamSampler {
  state: SamplerState = SAMPLER_STATES.Idle;
  readonly samples: StreamSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(private readonly cluster: LocalCluster, private readonly everyMs: number) {}

  start(): void {
    this.state = SAMPLER_STATES.Running;
    this.#timer = setInterval(() => { void this.#scrape(); }, this.everyMs);
  }

  async #scrape(): Promise<void> {
    if (this.#busy) return; // a slow round is skipped, not stacked
    this.#busy = true;
    const t = Date.now();
    const pods = this.cluster.pods().filter((p) => p.deployment === SERVICE && p.hostPids.length > 0);
    await Promise.all(pods.map(async (p) => {
      try {
        const res = await request(`${this.cluster.serviceUrlFor(p)}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
        const text = await res.body.text();
        const s: StreamSample = { t, pod: p.name, sse: 0, ws: 0, terminating: p.terminating };
        for (const m of text.matchAll(OPEN_RE)) s[m[1] as 'sse' | 'ws'] = Number(m[2]);
        this.samples.push(s);
      } catch { /* a pod that stopped listening has no streams to count */ }
    }));
    this.#busy = false;
  }

  /** The streams open right now, summed over the last round. */
  openNow(): number {
    const last = this.samples.at(-1)?.t;
    return this.samples.filter((s) => s.t === last).reduce((n, s) => n + s.sse + s.ws, 0);
  }

  stop(): void {
    this.state = SAMPLER_STATES.Stopped;
    clearInterval(this.#timer);
  }
}
