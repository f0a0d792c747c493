// npm run bench:reload — (1) reload latency with a 10,000-entry blocklist, split into the part on
// the event loop (freeze + swap) and the whole reload (read, parse, validate on the parser
// thread); (2) p99 of /fast on a real service process under open-model load, with 10 reloads/s
// against none, alternating, in one run. Updates the "## Hot reload (issue 7)" section of
// docs/benchmarks.md unless --no-docs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { LoadGenerator } from '../loadtest/generator.js';
import { latencyMs } from '../loadtest/records.js';
import type { Scenario } from '../loadtest/scenario.js';
import { freePort, spawnNode, startLabRedis } from '../lab/support/procs.js';
import { writeConfigMapDir } from '../lab/experiments/reload-vs-restart/configmap.js';
import { percentile } from '../lab/report/stats.js';
import { currentCommit, REPO_ROOT } from '../lab/engine/meta.js';
import { ParserThread } from '../service/config/parser.js';
import { ConfigStore } from '../service/config/store.js';

const ENTRIES = 10_000;
const SWAPS = 100;
const RATE = 300;
const PHASE_S = 2;
// Many short alternating windows, so a stall from another process on the shared machine lands
// in both conditions alike instead of deciding the comparison.
const ALTERNATIONS = 8;
const RELOADS_PER_S = 10;

function blocklistConfig(variant: number, format: 'yaml' | 'json'): string {
  const list = Array.from({ length: ENTRIES }, (_, i) => (i % 2 ? `10.${(i >> 8) & 255}.${i & 255}.0/24` : `172.${16 + (variant % 16)}.${(i >> 8) & 255}.${i & 255}`));
  if (format === 'json') return JSON.stringify({ slowDefaultMs: 1000 + variant, rateLimit: { perClientPerSecond: 0 }, blocklist: list });
  return `slowDefaultMs: ${1000 + variant}\nrateLimit:\n  perClientPerSecond: 0\nblocklist:\n${list.map((e) => `  - ${e}`).join('\n')}\n`;
}

const f2 = (n: number) => n.toFixed(2);

async function swapLatency(dir: string, format: 'yaml' | 'json'): Promise<string> {
  const file = join(dir, `bench.${format}`);
  writeFileSync(file, blocklistConfig(0, format));
  const parser = new ParserThread(30_000);
  const store = await ConfigStore.open(file, pino({ level: 'silent' }), {}, (f) => parser.parse(f));
  const swap: number[] = [];
  const total: number[] = [];
  const texts = Array.from({ length: SWAPS + 1 }, (_, i) => blocklistConfig(i, format)); // no bench allocations inside the measured windows
  // Event-loop lateness, sampled only while a reload runs. The control samples the same number of
  // windows of the same length with no reload: enabling/disabling the monitor around an await has
  // a floor of its own on a busy machine, and only the difference belongs to the reload.
  const stall = monitorEventLoopDelay({ resolution: 1 });
  const idle = monitorEventLoopDelay({ resolution: 1 });
  try {
    for (let i = 1; i <= SWAPS; i++) {
      writeFileSync(file, texts[i]!);
      await sleep(5);
      stall.enable();
      const o = await store.reload('bench');
      await sleep(5);
      stall.disable();
      if (o.result !== 'success') throw new Error(`reload ${i}: ${o.result} ${o.error ?? ''}`);
      swap.push(o.swapMs!);
      total.push(o.durationMs);
      idle.enable();
      await sleep(o.durationMs + 5);
      idle.disable();
    }
  } finally {
    await parser.close();
  }
  if (!store.current.isBlocked('10.1.3.77') || store.current.isBlocked('192.0.2.1')) throw new Error('the swapped blocklist does not match as expected');
  return `  ${format.padEnd(4)}: event-loop part (freeze + swap) p50 ${f2(percentile(swap, 50))} ms  p99 ${f2(percentile(swap, 99))} ms (target < 5 ms)`
    + ` | whole reload incl. parser thread p50 ${f2(percentile(total, 50))} ms  p99 ${f2(percentile(total, 99))} ms`
    + `\n        event-loop delay while reloading p99 ${f2(stall.percentile(99) / 1e6)} ms  max ${f2(stall.max / 1e6)} ms`
    + ` | same windows without a reload p99 ${f2(idle.percentile(99) / 1e6)} ms  max ${f2(idle.max / 1e6)} ms`;
}

async function underLoad(dir: string, format: 'yaml' | 'json'): Promise<string[]> {
  const configDir = join(dir, `config-${format}`);
  const name = `config.${format}`;
  await writeConfigMapDir(configDir, { [name]: blocklistConfig(0, format) });
  const redis = await startLabRedis();
  const port = await freePort();
  const svc = spawnNode('service', 'dist/service/main.js', {
    PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url, CONFIG_FILE: join(configDir, name),
    CONFIG_DEBOUNCE_MS: '20', QUEUE_NAME: `bench-reload-${process.pid}`, LAB_FIXES: 'all', LOG_LEVEL: 'warn',
  }, REPO_ROOT);
  const scenario: Scenario = {
    rate: RATE, mix: [{ name: 'fast', method: 'GET', path: '/fast', weight: 1 }], accounts: 1, keepAlive: true, timeoutSeconds: 10,
    phases: { warmupSeconds: 2, baselineSeconds: PHASE_S, deploys: 0, pauseBetweenDeploysSeconds: 0, cooldownSeconds: 0 },
  };
  const gen = new LoadGenerator({ scenario, rate: RATE, keepAlive: true, runId: `bench-reload-${process.pid}`, targets: [{ path: 'l4', origin: `http://127.0.0.1:${port}` }] });
  const reloadsDone = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/lab_config_reloads_total\{result="success"\} (\d+)/.exec(text)?.[1] ?? NaN);
  };
  try {
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break; } catch { /* not yet */ }
      await sleep(100);
    }
    // Generated before the load starts: building a 10,000-entry file inside this process while it
    // is also the load generator would delay sends and be counted as service latency.
    const variants = Array.from({ length: ALTERNATIONS * PHASE_S * RELOADS_PER_S + 1 }, (_, i) => blocklistConfig(i + 1, format));
    gen.start();
    await sleep(2000);
    const windows: Array<{ kind: 'steady' | 'reloading'; start: number; end: number; reloads: number }> = [];
    let variant = 0;
    const order = Array.from({ length: ALTERNATIONS }, () => ['steady', 'reloading'] as const).flat();
    for (const kind of order) {
      const before = await reloadsDone();
      const w = { kind, start: Date.now(), end: 0, reloads: 0 };
      if (kind === 'steady') await sleep(PHASE_S * 1000);
      else {
        for (let k = 0; k < PHASE_S * RELOADS_PER_S; k++) {
          const due = w.start + (k * 1000) / RELOADS_PER_S;
          if (due > Date.now()) await sleep(due - Date.now());
          await writeConfigMapDir(configDir, { [name]: variants[variant++]! });
        }
        await sleep(Math.max(0, w.start + PHASE_S * 1000 - Date.now()));
      }
      w.end = Date.now();
      await sleep(300); // the last reload of a window finishes before it is counted
      w.reloads = (await reloadsDone()) - before;
      windows.push(w);
    }
    await gen.stop();
    const lat = (kind: string) => gen.records.filter((r) => windows.some((w) => w.kind === kind && r.t_sched >= w.start && r.t_sched < w.end)).map(latencyMs);
    const errors = gen.records.filter((r) => r.class !== 'ok').length;
    const steady = lat('steady');
    const reloading = lat('reloading');
    const p99s = percentile(steady, 99);
    const p99r = percentile(reloading, 99);
    const reloads = windows.filter((w) => w.kind === 'reloading').reduce((a, w) => a + w.reloads, 0);
    return [
      `under load, ${format.toUpperCase()} (${RATE} req/s open model on /fast, keep-alive, ${ALTERNATIONS} × ${PHASE_S} s per condition, alternating; ${ENTRIES}-entry blocklist, ConfigMap-style ..data swaps, CONFIG_DEBOUNCE_MS=20):`,
      `  no reloads      : ${steady.length} requests  p50 ${f2(percentile(steady, 50))} ms  p99 ${f2(p99s)} ms`,
      `  ${RELOADS_PER_S} reloads/s offered: ${reloading.length} requests  p50 ${f2(percentile(reloading, 50))} ms  p99 ${f2(p99r)} ms  (${(reloads / (ALTERNATIONS * PHASE_S)).toFixed(1)} successful swaps/s; the rest coalesced)`,
      `  p99 with reloads vs without: ${p99s > 0 ? `${((p99r / p99s - 1) * 100).toFixed(1)} %` : 'n/a'} (target within 10 %); non-2xx or failed requests: ${errors}; dropped iterations: ${gen.dropped}`,
    ];
  } finally {
    await gen.stop(0);
    await svc.stop('SIGTERM', 5000);
    await redis.stop();
  }
}

function updateDocs(block: string): void {
  const file = join(REPO_ROOT, 'docs/benchmarks.md');
  const heading = '## Hot reload (issue 7)';
  let doc = '';
  try { doc = readFileSync(file, 'utf8'); } catch { doc = '# Benchmarks\n'; }
  const section = `${heading}\n\n${block}\n`;
  const at = doc.indexOf(heading);
  if (at < 0) doc = `${doc.trimEnd()}\n\n${section}`;
  else {
    const next = doc.indexOf('\n## ', at + heading.length);
    doc = doc.slice(0, at) + section + (next < 0 ? '' : doc.slice(next + 1));
  }
  writeFileSync(file, doc);
}

async function main(): Promise<void> {
  const docs = !process.argv.includes('--no-docs');
  const dir = mkdtempSync(join(tmpdir(), 'bench-reload-'));
  const date = new Date().toISOString();
  const load = loadavg()[0]!.toFixed(2);
  try {
    const lines = [
      `bench:reload  node ${process.version}  ${date}  load average ${load}`,
      `swap latency, ${ENTRIES}-entry blocklist (half addresses, half /24 CIDRs), ${SWAPS} sequential reloads each:`,
      await swapLatency(dir, 'yaml'),
      await swapLatency(dir, 'json'),
      ...(await underLoad(dir, 'yaml')),
      ...(await underLoad(dir, 'json')),
    ];
    const out = lines.join('\n');
    process.stdout.write(`${out}\n`);
    if (docs) {
      updateDocs([
        `Command: \`npm run bench:reload\` (bench/reload.ts), run ${date} on this machine (2 shared cores, load average ${load}), commit ${currentCommit()}.`,
        'One run. The event-loop part is what stalls requests; parsing and validation run on the parser thread.',
        '',
        '```',
        out,
        '```',
      ].join('\n'));
      process.stdout.write('docs/benchmarks.md: "## Hot reload (issue 7)" updated\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:reload failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
