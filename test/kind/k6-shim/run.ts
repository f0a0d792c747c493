import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { config } from './http.js';
import { vu, scenario as execScenario } from './execution.js';
import { addSample, CURRENT_TAGS, REGISTRY, store } from './metrics.js';
import { buildSummary } from './summary.js';

// `k6 run` for the lab's own script, far enough for tests: init context (__ENV, open), setup(),
// the constant-arrival-rate scenarios the script declares (iterations at their scheduled times,
// one at a time, with real HTTP through http.ts), handleSummary(), and k6's exit code (99 when a
// threshold is crossed). Console output goes where k6 --log-format=raw puts it in a pod log.
//
//   node --import dist/test/kind/k6-shim/register.js dist/test/kind/k6-shim/run.js <script.js>
//
// Environment for the shim itself (the script's own variables pass through as __ENV):
//   K6_SHIM_CLOCK_OFFSET_MS  the script's clock (Date.now) runs this far ahead of this machine's
//   K6_SHIM_MAX_LAG_MS       an iteration this late (default 2000) is a dropped iteration, standing
//                            in for k6 having no free VU
//   K6_SHIM_FILES_DIR        where handleSummary's files go (by base name); unset: not written

interface ArrivalScenario { executor: string; rate: number; timeUnit?: string; duration: string; exec?: string; env?: Record<string, string> }

const secondsOf = (s: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`k6 shim: duration "${s}" is not <n>ms|s|m|h`);
  return Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2]!]!;
};

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms: number) => { if (ms > 0) Atomics.wait(sleeper, 0, 0, ms); };

async function main(scriptArg: string): Promise<number> {
  const script = resolve(scriptArg);
  const offset = Number(process.env.K6_SHIM_CLOCK_OFFSET_MS ?? 0);
  const maxLagMs = Number(process.env.K6_SHIM_MAX_LAG_MS ?? 2000);
  const realNow = Date.now.bind(Date);
  if (offset) Date.now = () => realNow() + offset;
  const baseEnv: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const g = globalThis as any;
  g.__ENV = { ...baseEnv };
  g.open = (p: string) => readFileSync(resolve(dirname(script), p), 'utf8');
  const mod = await import(pathToFileURL(script).href);
  const options = mod.options ?? {};
  config.reuse = !options.noConnectionReuse;
  store('iterations', 'counter');
  store('dropped_iterations', 'counter');
  const data = typeof mod.setup === 'function' ? JSON.parse(JSON.stringify(mod.setup() ?? null)) : undefined;

  // every scheduled iteration of every scenario, in time order
  const startedAt = realNow();
  const plan: Array<{ at: number; name: string; sc: ArrivalScenario; i: number }> = [];
  for (const [name, sc] of Object.entries(options.scenarios ?? {}) as Array<[string, ArrivalScenario]>) {
    if (sc.executor !== 'constant-arrival-rate') throw new Error(`k6 shim: scenario ${name} uses ${sc.executor}; only constant-arrival-rate is shimmed`);
    const unitMs = secondsOf(sc.timeUnit ?? '1s') * 1000;
    const n = Math.floor((sc.rate * secondsOf(sc.duration) * 1000) / unitMs);
    for (let i = 0; i < n; i++) plan.push({ at: startedAt + (i * unitMs) / sc.rate, name, sc, i });
  }
  plan.sort((a, b) => a.at - b.at);
  let iter = 0;
  for (const it of plan) {
    sleepSync(it.at - realNow());
    for (const k of Object.keys(CURRENT_TAGS)) delete CURRENT_TAGS[k];
    CURRENT_TAGS.scenario = it.name;
    if (realNow() - it.at > maxLagMs) { addSample('dropped_iterations', 'counter', 1, {}); continue; }
    g.__ENV = { ...baseEnv, ...(it.sc.env ?? {}) };
    Object.assign(vu, { idInTest: 1, idInInstance: 1, iterationInInstance: iter, iterationInScenario: it.i });
    Object.assign(execScenario, { name: it.name, iterationInTest: it.i });
    iter++;
    try {
      mod[it.sc.exec ?? 'default'](data);
      addSample('iterations', 'counter', 1, {});
    } catch (e) {
      console.error(`Uncaught (in promise) ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  const { data: summary, crossed } = buildSummary(REGISTRY, options.thresholds ?? {}, realNow() - startedAt, options.summaryTrendStats ?? ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']);
  const outputs: Record<string, string> = typeof mod.handleSummary === 'function' ? mod.handleSummary(summary) : { stdout: JSON.stringify(summary) };
  for (const [where, text] of Object.entries(outputs)) {
    if (where === 'stdout') process.stdout.write(text);
    else if (where === 'stderr') process.stderr.write(text);
    else if (process.env.K6_SHIM_FILES_DIR) {
      mkdirSync(process.env.K6_SHIM_FILES_DIR, { recursive: true });
      writeFileSync(join(process.env.K6_SHIM_FILES_DIR, basename(where)), text);
    }
  }
  return crossed ? 99 : 0;
}

// Inert when node --test loads it without a script (it runs every file under dist/test).
const scriptArg = process.argv[2];
if (scriptArg) {
  main(scriptArg).then((code) => { process.exitCode = code; }, (e: unknown) => {
    console.error(e instanceof Error ? e.stack : String(e));
    process.exitCode = 107; // k6's ScriptException
  });
}
