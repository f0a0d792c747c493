import { get } from 'node:http';

// Tests wait on state, never on time: a sleep long enough on an idle machine is too short on a
// loaded one, and too long everywhere else. Every wait here is bounded and says what it waited for.

/** Pacing only (a steady request loop, a poll interval); never to let something happen. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls `probe` every `everyMs` until `accept` holds for its value, and returns that value; a
 * probe that throws counts as "not yet". Throws after `timeoutMs`, naming `what` and the last value.
 */
export async function poll<T>(what: string, probe: () => T | Promise<T>, accept: (v: T) => boolean, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (let i = 0; i < 1_000_000; i++) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (err) { lastError = err; }
    if (Date.now() >= end) break;
    await sleep(everyMs);
  }
  const tail = lastError ? `; last error: ${(lastError as Error).message}` : '';
  throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}${tail}`);
}

/** Waits until `cond()` holds (bounded). */
export async function waitUntil(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  await poll(what, cond, Boolean, timeoutMs);
}

/**
 * `promise`'s value, or `onTimeout`'s after `ms`. Unlike a race with a sleep, the timer is cleared
 * as soon as the promise settles: a pending timer keeps the test file's process (and so the suite)
 * waiting after its last test has finished.
 */
export function within<T, U = never>(promise: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<U>((resolve, reject) => {
    timer = setTimeout(() => { try { resolve(onTimeout()); } catch (err) { reject(err); } }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `within` that fails with a clear message on timeout. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return within(promise, ms, () => { throw new Error(`${what}: not within ${ms} ms`); });
}

/** One scrape of a Prometheus gauge or counter without labels from `base`/metrics (a fresh connection each time). */
export function scrapeMetric(base: string, name: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = get(`${base}/metrics`, { agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
        resolve(m ? Number(m[1]) : undefined);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${base}/metrics: no answer in 5 s`)));
    req.on('error', reject);
  });
}

/**
 * Waits until `n` requests are being served besides the scrape that asks (lab_http_in_flight
 * counts that scrape too): what the test does next (a reload, a signal) lands mid-request, whatever the load.
 */
export async function waitInFlight(base: string, n: number, timeoutMs = 10_000): Promise<void> {
  await poll(`${n} request(s) in flight at ${base} (lab_http_in_flight, the scrape itself aside)`,
    () => scrapeMetric(base, 'lab_http_in_flight'), (v) => (v ?? 0) - 1 >= n, timeoutMs);
}
