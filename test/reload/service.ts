import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { startNode, type Proc } from '../helpers/proc.js';
import { startRedis, type ThrowawayRedis } from '../helpers/redis.js';
import { within } from '../helpers/wait.js';
import { writeConfigMapDir } from '../../lab/experiments/reload-vs-restart/configmap.js';
import { get, SERVICE_SCRIPT, until } from './client.js';

export interface RunningService {
  proc: Proc;
  base: string;
  httpsBase: string;
  dir: string;
  configDir: string;
  configFile: string;
  /** rewrite the mounted config the way kubelet does */
  publish(files: Record<string, string>): Promise<void>;
  /** wait for the n-th (1-based) log line with this event */
  nth(event: string, n: number, timeoutMs?: number): Promise<Record<string, any>>;
  count(event: string): number;
  config(): Promise<any>;
  stop(): Promise<void>;
}

let seq = 0;

/** The service as a real process, its CONFIG_FILE on a ConfigMap-style volume. */
export async function startService(files: Record<string, string>, opts: { https?: boolean; env?: Record<string, string> } = {}): Promise<RunningService> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-reload-'));
  const configDir = join(dir, 'config');
  await writeConfigMapDir(configDir, files);
  const configFile = join(configDir, Object.keys(files).find((f) => /\.(ya?ml|json)$/.test(f)) ?? 'config.yaml');
  let redis: ThrowawayRedis | undefined;
  const port = await freePort();
  const httpsPort = opts.https ? await freePort() : 0;
  const env: Record<string, string> = {
    PORT: String(port), HOST: '127.0.0.1', CONFIG_FILE: configFile, LAB_FIXES: 'all',
    QUEUE_NAME: `reload-${process.pid}-${seq++}`, DRAIN_DELAY_MS: '0', LOG_LEVEL: 'info',
    ...(opts.https ? { HTTPS_PORT: String(httpsPort) } : {}),
    ...opts.env,
  };
  redis = await startRedis();
  env.REDIS_URL = redis.url;
  const proc = startNode(SERVICE_SCRIPT, env);
  const base = `http://127.0.0.1:${port}`;
  const httpsBase = `https://127.0.0.1:${httpsPort}`;
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGKILL');
      await within(proc.exited, 5000, () => undefined);
    }
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  })());
  const count = (event: string) => proc.lines.filter((l) => typeof l === 'object' && l.event === event).length;
  try {
    await proc.waitFor((l) => l.event === 'listening', 20_000);
    await until('service ready', () => get(`${base}/config`), (r) => r.status === 200, 10_000);
    if (opts.https) await proc.waitFor((l) => l.event === 'https-listening', 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    proc, base, httpsBase, dir, configDir, configFile, stop, count,
    publish: (f) => writeConfigMapDir(configDir, f),
    nth(event, n, timeoutMs = 10_000) {
      return proc.waitFor(() => count(event) >= n, timeoutMs).then(() => proc.lines.filter((l): l is Record<string, any> => typeof l === 'object' && l.event === event)[n - 1]!);
    },
    config: async () => (await get(`${base}/config`)).body,
  };
}
