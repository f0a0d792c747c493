import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { LoadGenerator } from '../loadtest/generator.js';
import type { Scenario } from '../loadtest/scenario.js';
import { percentile } from '../lab/report/stats.js';
import { REPO_ROOT } from '../lab/engine/meta.js';
import { freePort } from '../test/helpers/ports.js';
import { startNode } from '../test/helpers/proc.js';
import { startRedis } from '../test/helpers/redis.js';

// npm run bench:loadgen [-- --append]: the open-model generator's maximum sustained rate against the
// service's /fast next to autocannon's (closed model, same server, same run), and achieved-vs-target
// at 2,000 req/s. --append records the output under "## Load generator (issue 5)" in docs/benchmarks.md.

const STEP_SECONDS = 5;

interface AutocannonResult { requests: { average: number }; latency: { p99: number }; errors: number; non2xx: number }
// autocannon ships no type declarations; this is the slice of its result the bench reads.
async function autocannon(opts: Record<string, unknown>): Promise<AutocannonResult> {
  const mod: any = await import('autocannon' as string);
  return (mod.default ?? mod)(opts);
}
const FAST: Scenario = {
  rate: 0, mix: [{ name: 'fast', method: 'GET', path: '/fast', weight: 1 }], accounts: 1, keepAlive: true, timeoutSeconds: 10,
  phases: { warmupSeconds: 0, baselineSeconds: 0, deploys: 0, pauseBetweenDeploysSeconds: 0, cooldownSeconds: 0 },
};

interface StepResult { target: number; sent: number; achieved: number; okRate: number; droppedPct: number; errors: number; p99Ms: number; sendLagP99Ms: number }

async function step(origin: string, rate: number, seconds: number): Promise<StepResult> {
  const gen = new LoadGenerator({ scenario: FAST, rate, targets: [{ path: 'l4', origin }], runId: `bench-${rate}`, maxLagMs: 100 });
  gen.start();
  await sleep(seconds * 1000);
  await gen.stop(5000);
  const s = gen.summary();
  const ok = s.counts.ok;
  const offered = s.sent + s.dropped;
  return {
    target: rate,
    sent: s.sent,
    achieved: s.sent / seconds,
    okRate: ok / seconds,
    droppedPct: offered ? (100 * s.dropped) / offered : 0,
    errors: s.sent - ok,
    p99Ms: percentile(gen.records.map((r) => r.t_end - r.t_sched), 99),
    sendLagP99Ms: percentile(gen.records.map((r) => r.t_start - r.t_sched), 99),
  };
}

const sustained = (r: StepResult) => r.achieved >= 0.99 * r.target && r.droppedPct < 1 && r.errors === 0;

async function main(): Promise<void> {
  const append = process.argv.includes('--append');
  const redis = await startRedis();
  const port = await freePort();
  const svc = startNode('dist/service/main.js', { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url, LAB_FIXES: 'all', LOG_LEVEL: 'warn', QUEUE_NAME: `bench-${port}` });
  const origin = `http://127.0.0.1:${port}`;
  const lines: string[] = [];
  const say = (l: string) => { lines.push(l); process.stdout.write(`${l}\n`); };
  try {
    for (let i = 0; ; i++) {
      if (i > 100) throw new Error(`service on ${origin} not ready within 10 s: ${svc.stderr().slice(-500)}`);
      try { const r = await request(`${origin}/fast`); await r.body.dump(); if (r.statusCode === 200) break; } catch { /* not listening yet */ }
      await sleep(100);
    }
    say(`command: npm run bench:loadgen · date: ${new Date().toISOString()} · node ${process.version} · ${(await import('node:os')).cpus().length} CPUs · server: dist/service/main.js /fast (LAB_FIXES=all), same machine`);
    const ac = await autocannon({ url: `${origin}/fast`, connections: 50, duration: 8, pipelining: 1 });
    say(`autocannon (closed model, 50 keep-alive connections, 8 s): ${Math.round(ac.requests.average)} req/s average, p99 ${ac.latency.p99} ms, errors ${ac.errors}, non-2xx ${ac.non2xx}`);
    say('');
    say('| generator target req/s | achieved req/s | ok req/s | dropped % | errors | p99 from scheduled time | send lag p99 | sustained |');
    say('|---|---|---|---|---|---|---|---|');
    const row = (r: StepResult) => say(`| ${r.target} | ${r.achieved.toFixed(0)} | ${r.okRate.toFixed(0)} | ${r.droppedPct.toFixed(2)} | ${r.errors} | ${r.p99Ms.toFixed(1)} ms | ${r.sendLagP99Ms.toFixed(1)} ms | ${sustained(r) ? 'yes' : 'no'} |`);
    let best = 0;
    for (const rate of [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000]) {
      const r = await step(origin, rate, STEP_SECONDS);
      row(r);
      if (!sustained(r)) break;
      best = rate;
    }
    const at2k = await step(origin, 2000, 10);
    say('');
    say(`max sustained generator rate (≥ 99 % achieved, < 1 % dropped, 0 errors; ${STEP_SECONDS} s steps): ${best} req/s vs autocannon ${Math.round(ac.requests.average)} req/s`);
    say(`at 2000 req/s for 10 s: achieved ${at2k.achieved.toFixed(1)} req/s = ${((100 * at2k.achieved) / 2000).toFixed(2)} % of target, dropped ${at2k.droppedPct.toFixed(2)} %, errors ${at2k.errors}, p99 ${at2k.p99Ms.toFixed(1)} ms → ${at2k.achieved >= 1980 && at2k.droppedPct < 1 ? 'PASS' : 'FAIL'} (target ≥ 99 %, < 1 % dropped)`);
  } finally {
    svc.child.kill('SIGKILL');
    await svc.exited;
    await redis.stop();
  }
  if (append) {
    const file = join(REPO_ROOT, 'docs/benchmarks.md');
    const header = '## Load generator (issue 5)';
    const entry = `\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`;
    let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
    const at = doc.indexOf(header);
    if (at < 0) doc = `${doc.trimEnd()}\n\n${header}\n${entry}`;
    else {
      const next = doc.indexOf('\n## ', at + header.length);
      doc = next < 0 ? `${doc.trimEnd()}\n${entry}` : `${doc.slice(0, next).trimEnd()}\n${entry}${doc.slice(next)}`;
    }
    writeFileSync(file, doc);
    process.stdout.write(`appended to ${file}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench:loadgen failed: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
