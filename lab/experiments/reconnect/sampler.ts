import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import type { LocalCluster } from '../../targets/local/cluster.js';
import { SERVICE } from './manifest.js';

// Every 100 ms: each service pod's event-loop delay (prom-client's monitorEventLoopDelay max since
// the previous scrape; prom-client resets the histogram on every collect) and open connections
// from its /metrics, its CPU from /proc/<pid>/stat (costs the pod nothing), and the kernel's
// accept-queue overflow counters. A scrape still out when the next tick comes is not repeated:
// a blocked event loop shows as a missing sample and a long scrape time, not as a pile-up.

export const SAMPLE_MS = 100;

export interface PodSample { elMaxMs?: number; conns?: number; scrapeMs?: number; cpuPct?: number }
export interface Sample {
  t: number;
  pods: Record<string, PodSample>;
  /** machine-wide kernel counters (every process on this host, not only the lab's) */
  listenOverflows: number;
  listenDrops: number;
  /** the lab's own (client side) event-loop delay max over the interval: latency the clients add */
  labElMaxMs: number;
}

const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; } })();

/** utime + stime of a process in clock ticks (fields 14 and 15 of /proc/<pid>/stat, after the comm). */
export function cpuTicks(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return undefined; }
}

/** TcpExt ListenOverflows and ListenDrops (the kernel's count of SYNs dropped because an accept queue was full). */
export function listenCounters(text = readFileSync('/proc/net/netstat', 'utf8')): { overflows: number; drops: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
  const names = lines[i]?.split(/\s+/) ?? [];
  const values = lines[i + 1]?.split(/\s+/) ?? [];
  const get = (n: string) => Number(values[names.indexOf(n)] ?? 0);
  return { overflows: get('ListenOverflows'), drops: get('ListenDrops') };
}

export function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export class PodSampler {
  readonly samples: Sample[] = [];
  /** every service pod seen, with the time it was created (a pod created during the run is cold) */
  readonly createdAt: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<string>();
  private readonly lastCpu = new Map<string, { t: number; ticks: number }>();
  private readonly latest = new Map<string, PodSample>();
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 1 });
  private closing: Promise<void> | undefined;
  /** pods whose first scrape came back: that one covers the process start, not the experiment */
  private readonly primed = new Set<string>();
  private readonly labDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(private readonly cluster: LocalCluster) {}

  start(): void {
    this.labDelay.enable();
    this.timer = setInterval(() => this.tick(), SAMPLE_MS);
  }

  private tick(): void {
    const t = Date.now();
    const pods: Record<string, PodSample> = {};
    for (const p of this.cluster.pods()) {
      if (p.deployment !== SERVICE || p.pid1 === undefined) continue;
      this.createdAt[p.name] ??= p.createdAt;
      const s: PodSample = { ...this.latest.get(p.name) };
      this.latest.delete(p.name);
      const ticks = cpuTicks(p.pid1);
      const prev = this.lastCpu.get(p.name);
      if (ticks !== undefined) {
        if (prev && t > prev.t) s.cpuPct = Math.round((((ticks - prev.ticks) / CLK_TCK) / ((t - prev.t) / 1000)) * 100);
        this.lastCpu.set(p.name, { t, ticks });
      }
      pods[p.name] = s;
      if (!this.pending.has(p.name)) this.scrape(p.name, `http://${p.ip}:${p.template.container.ports[0]?.containerPort ?? 3000}`);
    }
    const { overflows, drops } = listenCounters();
    const labElMaxMs = Math.round(this.labDelay.max / 1e5) / 10;
    this.labDelay.reset();
    this.samples.push({ t, pods, listenOverflows: overflows, listenDrops: drops, labElMaxMs });
  }

  private scrape(pod: string, origin: string): void {
    this.pending.add(pod);
    const t0 = performance.now();
    request(`${origin}/metrics`, { dispatcher: this.agent, signal: AbortSignal.timeout(5000) })
      .then(async (r) => {
        const text = await r.body.text();
        if (!this.primed.has(pod)) { this.primed.add(pod); return; }
        const el = metricValue(text, 'nodejs_eventloop_lag_max_seconds');
        this.latest.set(pod, {
          ...(el !== undefined ? { elMaxMs: Math.round(el * 10_000) / 10 } : {}),
          ...(() => { const c = metricValue(text, 'lab_http_open_connections'); return c !== undefined ? { conns: c } : {}; })(),
          scrapeMs: Math.round(performance.now() - t0),
        });
      })
      .catch(() => undefined) // a pod that went away mid-scrape: no sample, which is what it is
      .finally(() => this.pending.delete(pod));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      this.labDelay.disable();
      await this.agent.destroy().catch(() => undefined);
    })();
    return this.closing;
  }
}
