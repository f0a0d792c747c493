import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bucket } from './buckets.js';
import type { WindowSizing } from './window.js';
import { writeup, type Verdict, type WriteupInput } from './writeup.js';

export type { Verdict } from './writeup.js';
import type { ArmStats } from './stats.js';
import { csvCell } from '../../report/csv.js';

// Tables and verdicts of the experiment, from the two arms' ArmStats.

const COLUMNS: Array<[string, (s: ArmStats) => string | number]> = [
  ['arm', (s) => s.arm],
  ['CLOSE_JITTER_MS', (s) => s.closeJitterMs],
  ['clients', (s) => s.clients],
  ['closes by draining pods', (s) => s.serverCloses],
  ['other closes (client timeouts)', (s) => s.otherCloses],
  ['peak reconnect attempts/s', (s) => s.peakAttemptsPerS],
  ['peak reconnects completed/s', (s) => s.peakReconnectsPerS],
  ['peak TLS handshakes/s', (s) => s.peakTlsHandshakesPerS],
  ['time to re-establish all (ms)', (s) => s.timeToReestablishAllMs],
  ['p99 steady (ms)', (s) => s.p99SteadyMs],
  ['p99 during reconnect (ms)', (s) => s.p99ReconnectMs],
  ['max during reconnect (ms)', (s) => s.maxReconnectMs],
  ['request errors (rollout)', (s) => s.rolloutErrorCount],
  ['connect failures', (s) => Object.values(s.connectFailures).reduce((a, b) => a + b, 0)],
  ['accept-queue overflows (machine-wide)', (s) => s.listenOverflows],
  ['peak event-loop delay, receiving pods (ms)', (s) => s.peakEventLoopMs],
  ['steady event-loop max (ms)', (s) => s.steadyEventLoopMaxMs],
  ['client thread event-loop max steady / reconnect (ms)', (s) => `${s.steadyClientElMaxMs} / ${s.peakClientElMaxMs}`],
  ['lab control-plane event-loop max (ms)', (s) => s.peakControlPlaneElMaxMs],
];

export function markdownTable(stats: ArmStats[]): string {
  return [
    `| ${COLUMNS.map(([h]) => h).join(' | ')} |`,
    `|${COLUMNS.map(() => '---').join('|')}|`,
    ...stats.map((s) => `| ${COLUMNS.map(([, f]) => f(s)).join(' | ')} |`),
  ].join('\n');
}

export function csvTable(stats: ArmStats[]): string {
  return `${[COLUMNS.map(([h]) => csvCell(h)).join(','), ...stats.map((s) => COLUMNS.map(([, f]) => csvCell(f(s))).join(','))].join('\n')}\n`;
}

/** The per-100 ms series of both arms, one row per arm and bucket. */
export function seriesCsv(series: Array<{ arm: string; buckets: Bucket[] }>): string {
  const head = 'arm,t_ms,reconnect_attempts,reconnects,tls_handshakes,server_closes,connect_failures,connected,requests,errors,p50_ms,p99_ms,max_ms,listen_overflows,listen_drops,client_event_loop_max_ms,lab_event_loop_max_ms,pods';
  const rows = series.flatMap(({ arm, buckets }) => buckets.map((b) => [
    arm, b.t, b.attempts, b.reconnects, b.tlsHandshakes, b.closes, Object.values(b.connectFailures).reduce((a, c) => a + c, 0), b.connected,
    b.requests, b.requests - b.counts.ok, b.p50Ms, b.p99Ms, b.maxMs, b.listenOverflows, b.listenDrops, b.clientElMaxMs, b.labElMaxMs,
    // pod=eventLoopMaxMs/cpu%/connections[/cold]; ";"-separated
    Object.entries(b.pods).map(([p, s]) => `${p}=${s.elMaxMs ?? ''}/${s.cpuPct ?? ''}/${s.conns ?? ''}${s.cold ? '/cold' : ''}`).join(';'),
  ].join(',')));
  return `${[head, ...rows].join('\n')}\n`;
}

export function verdict(sync: ArmStats, jit: ArmStats): Verdict {
  // The herd is what the clients ask for at once (attempts); completions are capped by what the receivers can accept.
  const peakRatio = jit.peakAttemptsPerS > 0 ? Math.round((sync.peakAttemptsPerS / jit.peakAttemptsPerS) * 10) / 10 : Infinity;
  const latency = sync.p99Ratio >= 2;
  const errors = sync.rolloutErrorCount + Object.values(sync.connectFailures).reduce((a, b) => a + b, 0) > 0;
  const el = sync.peakEventLoopMs >= 2 * Math.max(1, jit.peakEventLoopMs);
  return {
    peakRatio, peakRatioAtLeast5: peakRatio >= 5,
    syncSpike: latency || errors || el,
    syncSpikeDetail: `p99 ×${sync.p99Ratio} of steady (jittered ×${jit.p99Ratio}); ${sync.rolloutErrorCount} request errors; peak event-loop delay ${sync.peakEventLoopMs} ms vs ${jit.peakEventLoopMs} ms jittered`,
    jitteredP99Within2x: jit.p99Ratio <= 2,
    jitteredNoErrors: jit.rolloutErrorCount === 0 && Object.keys(jit.connectFailures).length === 0,
  };
}

/**
 * table.md, table.csv and README.md of one stored reconnect run, from its summary.json alone (the
 * chart and series.csv need the per-bucket series, which only a run produces). `npm run lab -- report`
 * calls it for every results/reconnect/<variant>/, so a change of these renderers reaches stored runs.
 */
export function renderStoredReconnect(dir: string): string[] {
  const file = join(dir, 'summary.json');
  if (!existsSync(file)) return [];
  const s = JSON.parse(readFileSync(file, 'utf8')) as WriteupInput['meta'] & { arms: ArmStats[]; verdict: Verdict; notes: string[]; parameters: { jitterWindow: WindowSizing } };
  const table = markdownTable(s.arms);
  const files: Array<[string, string]> = [
    ['table.md', `${table}\n`],
    ['table.csv', csvTable(s.arms)],
    ['README.md', writeup({ meta: s, stats: s.arms, verdict: s.verdict, sizing: s.parameters.jitterWindow, notes: s.notes, table })],
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    if (existsSync(join(dir, name)) && readFileSync(join(dir, name), 'utf8') === text) continue;
    writeFileSync(join(dir, name), text);
    written.push(name);
  }
  return written;
}
