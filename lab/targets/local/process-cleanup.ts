// Kills every pod of every live local cluster when the lab exits for any reason: normal exit,
// uncaught exception ('exit' still fires), or SIGINT/SIGTERM/SIGHUP. (A SIGKILL of the lab is
// covered by setpriv --pdeathsig, see isolation.ts.) Handlers are installed only while a cluster
// lives, so the process's default signal behaviour is otherwise untouched.

export interface Killable { killNow(): void }

const live = new Set<Killable>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAll(): void {
  for (const k of live) { try { k.killNow(); } catch { /* keep killing the others */ } }
}

function onSignal(sig: NodeJS.Signals): void {
  killAll();
  // If the lab has its own handler it decides how to exit; otherwise restore the default death.
  if (process.listenerCount(sig) === 1) {
    uninstall();
    process.kill(process.pid, sig);
  }
}

let installed = false;
function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}
function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', killAll);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Registers `k` until the returned function is called. */
export function registerCleanup(k: Killable): () => void {
  live.add(k);
  install();
  return () => {
    live.delete(k);
    if (live.size === 0) uninstall();
  };
}
