import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseOptions, usage } from '../lab/engine/args.js';
import { currentCommit, REPO_ROOT } from '../lab/engine/meta.js';
import { median } from '../lab/report/stats.js';
import { replaceBlock } from '../lab/support/generated-block.js';

// npm run bench:startup: how fast the package's bin starts, as a user runs it (issue 26).
// - doctor on one file: wall time against `node -e 0` (runs interleaved, hyperfine-style: warm-up
//   runs first, then the median of many), peak RSS and CPU time (/usr/bin/time: CPU time shows what a
//   busy machine's wall time hides);
// - check: the time from spawning the command to its first pod's process start (the pod's node
//   records performance.timeOrigin through a NODE_OPTIONS --import preload given with --env).
// Prints the figures, writes the generated `startup` block of README.md and docs/benchmarks.md
// (unless --no-write), and exits 1 when a target is missed.

const TARGETS = { doctorWallRatio: 4, doctorPeakMb: 80, checkFirstPodMs: 1000 } as const;
const BIN = join(REPO_ROOT, 'dist/lab/bin.js');
const DOCTOR_FILE = 'examples/naive/k8s/orders.yaml';
const TIME = '/usr/bin/time';

const OPTIONS = {
  runs: { type: 'int', min: 3, max: 100, default: 20, help: 'measured runs per command (after 3 warm-up runs)' },
  'check-runs': { type: 'int', min: 1, max: 20, default: 5, help: 'check start-ups to measure' },
  'no-write': { type: 'flag', help: 'print only; leave README.md and docs/benchmarks.md alone' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;
const USAGE = usage('usage: npm run bench:startup [-- options]', OPTIONS);

const say = (line: string) => process.stdout.write(`${line}\n`);

function wallMs(cmd: string, args: string[], cwd: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, stdio: 'ignore', timeout: 30_000 });
  if (r.error || r.signal) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.signal}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Peak RSS (MB) and CPU time (user + system, ms) of one run, from /usr/bin/time -f '%M %U %S'. */
function rusage(args: string[], cwd: string): { mb: number; cpuMs: number } {
  const out = join(cwd, 'time.txt');
  const r = spawnSync(TIME, ['-f', '%M %U %S', '-o', out, process.execPath, ...args], { cwd, stdio: 'ignore', timeout: 30_000 });
  if (r.error) throw new Error(`${TIME}: ${r.error.message}`);
  const [kb, user, sys] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return { mb: kb! / 1024, cpuMs: (user! + sys!) * 1000 };
}

interface Stats { median: number; mean: number; sd: number; min: number; max: number; n: number }
function stats(xs: number[]): Stats {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { median: median(xs), mean, sd, min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}
const fmt = (s: Stats, unit: string, digits = 0) => `median ${s.median.toFixed(digits)} ${unit} (mean ${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}, min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)}, n ${s.n})`;

/** Spawns check on examples/fixed and returns ms from the spawn to the first pod's process start; stops check with SIGINT. */
async function checkFirstPodMs(dir: string, i: number): Promise<number> {
  const marks = join(dir, `marks-${i}.txt`);
  writeFileSync(marks, '');
  chmodSync(marks, 0o666); // written by the pod, which runs as nobody
  const preload = join(dir, 'mark.mjs');
  const args = [BIN, 'check', '--manifests', join(REPO_ROOT, 'examples/fixed/k8s'), '--app-dir', join(REPO_ROOT, 'examples/fixed'),
    '--env', `NODE_OPTIONS=--import=${preload}`, '--env', `START_MARKS=${marks}`, '--rate', '5', '--deploys', '1', '--out', join(dir, `out-${i}`)];
  const t0 = Date.now();
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => { exitCode = c; });
  try {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && exitCode === undefined; await sleep(20)) {
      if (existsSync(marks) && readFileSync(marks, 'utf8').trim()) break;
    }
    const starts = existsSync(marks) ? readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
    if (!starts.length) throw new Error(`check started no pod within 30 s (exit ${exitCode}): ${stderr.slice(-2000)}`);
    return Math.min(...starts) - t0;
  } finally {
    child.kill('SIGINT');
    const stopped = await Promise.race([exited.then(() => true), sleep(60_000).then(() => false)]);
    if (!stopped) child.kill('SIGKILL');
  }
}

async function main(argv: string[]): Promise<number> {
  let v;
  try { v = parseOptions(OPTIONS, argv).values; } catch (e) { process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`); return 2; }
  if (v.help) { say(USAGE); return 0; }
  if (!existsSync(BIN)) { process.stderr.write(`${BIN} is missing: run npm run build first\n`); return 2; }
  if (!existsSync(TIME)) { process.stderr.write(`${TIME} is missing (Debian: apt-get install time): it measures peak RSS\n`); return 2; }
  const dir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  chmodSync(dir, 0o755); // the pods run as nobody (no runAsUser in the example): they must reach their scratch folder
  writeFileSync(join(dir, 'mark.mjs'), "import { appendFileSync } from 'node:fs';\nappendFileSync(process.env.START_MARKS, `${performance.timeOrigin}\\n`);\n");
  const load0 = loadavg();
  const date = new Date().toISOString();
  try {
    const file = join(REPO_ROOT, DOCTOR_FILE);
    const doctor = [BIN, 'doctor', file];
    const node0 = ['-e', '0'];
    // warm-up (page cache, CPU frequency), then interleaved pairs so drift of a shared machine hits both alike
    for (let i = 0; i < 3; i++) { wallMs(process.execPath, node0, dir); wallMs(process.execPath, doctor, dir); }
    const nodeWall: number[] = [];
    const doctorWall: number[] = [];
    for (let i = 0; i < v.runs; i++) { nodeWall.push(wallMs(process.execPath, node0, dir)); doctorWall.push(wallMs(process.execPath, doctor, dir)); }
    const nodeUse: Array<{ mb: number; cpuMs: number }> = [];
    const doctorUse: Array<{ mb: number; cpuMs: number }> = [];
    for (let i = 0; i < Math.min(v.runs, 10); i++) { nodeUse.push(rusage(node0, dir)); doctorUse.push(rusage(doctor, dir)); }
    const firstPod: number[] = [];
    for (let i = 0; i < v.checkRuns; i++) firstPod.push(await checkFirstPodMs(dir, i));
    const n = stats(nodeWall);
    const d = stats(doctorWall);
    const dr = stats(doctorUse.map((u) => u.mb));
    const p = stats(firstPod);
    const ratio = d.median / n.median;
    const verdicts = [
      [`doctor wall ÷ node -e 0 wall (medians)`, ratio, TARGETS.doctorWallRatio, `${ratio.toFixed(2)} ×`],
      ['doctor peak RSS (median)', dr.median, TARGETS.doctorPeakMb, `${dr.median.toFixed(1)} MB`],
      ['check: spawn → first pod started (median)', p.median, TARGETS.checkFirstPodMs, `${p.median.toFixed(0)} ms`],
    ] as const;
    const unit = (i: number) => (i === 0 ? '×' : i === 1 ? 'MB' : 'ms');
    const lines = [
      `bench:startup · ${date} · commit ${currentCommit().slice(0, 12)} · node ${process.version} · ${availableParallelism()} cores · load average ${load0.map((x) => x.toFixed(2)).join(' ')} before, ${loadavg().map((x) => x.toFixed(2)).join(' ')} after`,
      `doctor: node dist/lab/bin.js doctor ${DOCTOR_FILE} (the package's bin, one file)`,
      `  node -e 0        wall ${fmt(n, 'ms')}`,
      `  doctor           wall ${fmt(d, 'ms')}`,
      `  node -e 0        peak RSS ${fmt(stats(nodeUse.map((u) => u.mb)), 'MB', 1)}`,
      `  doctor           peak RSS ${fmt(dr, 'MB', 1)}`,
      `  node -e 0        CPU (user+sys) ${fmt(stats(nodeUse.map((u) => u.cpuMs)), 'ms')}`,
      `  doctor           CPU (user+sys) ${fmt(stats(doctorUse.map((u) => u.cpuMs)), 'ms')}`,
      `check: node dist/lab/bin.js check --manifests examples/fixed/k8s --app-dir examples/fixed (stopped with SIGINT once a pod started)`,
      `  spawn → first pod process start ${fmt(p, 'ms')}`,
      ...verdicts.map(([label, value, target, shown], i) => `${value <= target ? 'PASS' : 'FAIL'}  ${label}: ${shown} (target ≤ ${target} ${unit(i)})`),
    ];
    for (const l of lines) say(l);
    if (!v.noWrite) {
      const body = `\`\`\`\n${lines.join('\n')}\n\`\`\``;
      for (const f of ['README.md', 'docs/benchmarks.md']) {
        if (replaceBlock(join(REPO_ROOT, f), 'startup', 'npm run bench:startup', body)) say(`wrote the startup block of ${f}`);
        else process.stderr.write(`${f}: no startup block markers; not written\n`);
      }
    }
    return verdicts.every(([, value, target]) => value <= target) ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`bench:startup failed: ${(e as Error)?.stack ?? e}\n`);
  process.exitCode = 1;
});
