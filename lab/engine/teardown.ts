// Everything a run started is registered here, so Ctrl-C, SIGTERM or a crash tears it down too:
// no orphan pods, proxies or redis-servers survive the lab process.

type Cleanup = () => Promise<unknown>;
const cleanups = new Set<Cleanup>();

export function onTeardown(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export async function teardownAll(maxMs = 30_000): Promise<void> {
  const all = [...cleanups].reverse();
  cleanups.clear();
  await Promise.race([
    Promise.allSettled(all.map((fn) => fn())),
    new Promise((r) => setTimeout(r, maxMs).unref()),
  ]);
}

let installed = false;

/** SIGINT/SIGTERM: tear down (bounded), then exit 130/143; a second signal exits at once. */
export function installSignalTeardown(say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  if (installed) return;
  installed = true;
  let tearing = false;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(sig, () => {
      if (tearing) process.exit(code);
      tearing = true;
      say(`\n${sig}: stopping the load and tearing down every process this run started...`);
      void teardownAll().finally(() => process.exit(code));
    });
  }
}
