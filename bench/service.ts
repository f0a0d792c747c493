// npm run bench:service — what the lifecycle machinery costs: requests/s of GET /fast on the real
// service (LAB_FIXES=all: tracking hook, metrics, Redis and queue connected) against a bare fastify
// app with the same route, side by side in one run, same connections and duration, rounds in
// ABBA order so drift on a shared machine hits both alike. Besides requests/s it reports the
// server process's CPU time per request (from /proc), which a busy shared machine distorts far
// less than throughput. Medians of rounds. Not a test: numbers only.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { createLogger } from '../common/log.js';
import { median } from '../lab/report/stats.js';
import { lifecycleHook } from '../service/app.js';
import { ShutdownBudget } from '../service/budget.js';
import { ConnectionTracker } from '../service/connections.js';
import type { ServiceContext } from '../service/context.js';
import { parseServiceEnv } from '../service/env.js';
import { Lifecycle, READY } from '../service/lifecycle.js';
import { createMetrics } from '../service/metrics.js';
import { freePort } from '../test/helpers/ports.js';
import { ROOT } from '../test/helpers/proc.js';
import { startRedis } from '../test/helpers/redis.js';

const CONNECTIONS = 20;
const ROUND_SECONDS = 5;
const WARMUP_SECONDS = 2;
// bare: the route alone; lifecycle: the route plus the service's own lifecycle hook, connection
// tracker and metrics (the machinery this issue adds), nothing else; service: the real process.
const ORDER = ['bare', 'lifecycle', 'service', 'service', 'lifecycle', 'bare'] as const;
type Target = (typeof ORDER)[number];
const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** user + system CPU time of `pid` in ms, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}

// autocannon ships no type declarations; this is the slice of its API the bench uses.
async function autocannon(opts: Record<string, unknown>): Promise<AutocannonResult> {
  const mod: any = await import('autocannon' as string);
  return (mod.default ?? mod)(opts);
}

/** The same /fast route, in its own process like the service, bare or with the lifecycle machinery only. */
async function benchServer(port: number, withLifecycle: boolean): Promise<void> {
  const app = Fastify({ logger: false });
  if (withLifecycle) {
    const lifecycle = new Lifecycle();
    const metrics = createMetrics(lifecycle, new Registry());
    const ctx = {
      env: parseServiceEnv({ LAB_FIXES: 'all' }), log: createLogger('bench-lifecycle'), lifecycle, metrics,
      tracker: new ConnectionTracker(metrics), budget: new ShutdownBudget(), shutdown: { active: false },
      deps: undefined as never, // /fast never touches Redis
    } satisfies ServiceContext;
    app.addHook('onRequest', lifecycleHook(ctx));
    ctx.tracker.watch(app.server);
    lifecycle.to(READY);
  }
  app.get('/fast', async () => ({ ok: true }));
  await app.listen({ port, host: '127.0.0.1' });
  process.stdout.write('listening\n');
}

function spawnUntil(args: string[], env: Record<string, string>, marker: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${args.join(' ')} did not start within 15 s`)); }, 15_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes(marker)) { clearTimeout(timer); resolve(child); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${args.join(' ')} exited with ${code} before starting: ${out.slice(-500)}`)); });
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

async function main(): Promise<void> {
  const redis = await startRedis();
  let service: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  let lifecycle: ChildProcess | undefined;
  try {
    const ports = { service: await freePort(), bare: await freePort(), lifecycle: await freePort() };
    // Lifecycle lines only: the service writes no per-request logs, so info level costs nothing here.
    service = await spawnUntil(['dist/service/main.js'], {
      PORT: String(ports.service), HOST: '127.0.0.1', REDIS_URL: redis.url, LAB_FIXES: 'all', QUEUE_NAME: 'bench',
    }, '"event":"listening"');
    bare = await spawnUntil([fileURLToPath(import.meta.url), '--bare', String(ports.bare)], {}, 'listening');
    lifecycle = await spawnUntil([fileURLToPath(import.meta.url), '--lifecycle', String(ports.lifecycle)], {}, 'listening');
    const url = (t: Target) => `http://127.0.0.1:${ports[t]}/fast`;
    for (const t of ['bare', 'lifecycle', 'service'] as const) await autocannon({ url: url(t), connections: CONNECTIONS, duration: WARMUP_SECONDS });

    const pids = { service: service.pid!, bare: bare.pid!, lifecycle: lifecycle.pid! };
    const runs: Record<Target, Array<{ r: AutocannonResult; cpuUsPerReq: number }>> = { bare: [], lifecycle: [], service: [] };
    for (const t of ORDER) {
      const cpu0 = cpuMs(pids[t]);
      const r = await autocannon({ url: url(t), connections: CONNECTIONS, duration: ROUND_SECONDS, pipelining: 1 });
      const cpuUsPerReq = ((cpuMs(pids[t]) - cpu0) * 1000) / Math.max(1, r.requests.total);
      runs[t].push({ r, cpuUsPerReq });
      console.error(`  round ${t}: ${Math.round(r.requests.average)} req/s, ${cpuUsPerReq.toFixed(1)} µs CPU/request, p99 ${r.latency.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}`);
    }
    const row = (t: Target) => {
      const rs = runs[t];
      return {
        rps: median(rs.map((x) => x.r.requests.average)),
        rounds: rs.map((x) => Math.round(x.r.requests.average)).join(', '),
        cpu: median(rs.map((x) => x.cpuUsPerReq)),
        p50: median(rs.map((x) => x.r.latency.p50)),
        p99: median(rs.map((x) => x.r.latency.p99)),
        errors: rs.reduce((a, x) => a + x.r.errors + x.r.non2xx, 0),
      };
    };
    const b = row('bare');
    const pct = (x: number, base: number) => `${(((x - base) / base) * 100).toFixed(1)} %`;
    const table = (t: Target, label: string) => {
      const x = row(t);
      const vs = (v: string) => (t === 'bare' ? '—' : v);
      return `| ${label} | ${Math.round(x.rps)} | ${x.rounds} | ${vs(pct(x.rps, b.rps))} | ${x.cpu.toFixed(1)} | ${vs(pct(x.cpu, b.cpu))} | ${x.p50} | ${x.p99} | ${x.errors} |`;
    };
    const l = row('lifecycle');
    const lines = [
      `command: npm run bench:service`,
      `date: ${new Date().toISOString()}`,
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}; load generator on the same machine`,
      `load: autocannon, GET /fast, ${CONNECTIONS} keep-alive connections, pipelining 1, ${WARMUP_SECONDS} s warm-up each, rounds of ${ROUND_SECONDS} s in order ${ORDER.join(', ')}; medians of rounds`,
      '',
      '| target | req/s | rounds req/s | req/s vs bare | server CPU µs/request | CPU vs bare | p50 ms | p99 ms | errors + non-2xx |',
      '|---|---:|---|---:|---:|---:|---:|---:|---:|',
      table('bare', 'bare fastify, same route'),
      table('lifecycle', 'bare + lifecycle hook, tracker, metrics'),
      table('service', 'service process, LAB_FIXES=all (+ config plugin, Redis, queue)'),
      '',
      `lifecycle machinery alone costs ${(((b.rps - l.rps) / b.rps) * 100).toFixed(1)} % of requests/s and ${pct(l.cpu, b.cpu)} CPU per request (target: under 3 %)`,
    ];
    console.log(lines.join('\n'));
  } finally {
    await stop(service);
    await stop(bare);
    await stop(lifecycle);
    await redis.stop();
  }
}

if (process.argv[2] === '--bare' || process.argv[2] === '--lifecycle') {
  benchServer(Number(process.argv[3]), process.argv[2] === '--lifecycle').catch((err) => { console.error(err); process.exit(1); });
} else {
  main().catch((err) => { console.error(err); process.exitCode = 1; });
}
