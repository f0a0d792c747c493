import { LEVERS, type Lever } from '../../common/levers.js';
import { LabError } from '../../common/errors.js';

// An arm is a set of levers. Every arm has a kustomize overlay under k8s/arms/<name> and a rendered
// manifest under k8s/rendered/<name>.yaml; both targets run exactly that file.
export interface Arm {
  readonly name: string;
  readonly levers: readonly Lever[];
  readonly title: string;
  /** Components outside LAB_FIXES (k8s/components/<name>), applied after the levers'. */
  readonly components?: readonly string[];
  /** Env set on the service container by the overlay, after every component. */
  readonly serviceEnv?: Readonly<Record<string, string>>;
}

// Keep-alive timeouts out of order (docs/runbook.md, "502s between deploys"): the `keepalive` component
// (k8s/components/keepalive) writes the service's keep-alive and headers timeouts into the manifest.
// Not a lever of LAB_FIXES, so `all` keeps its meaning, and every arm carries it: its values (72 s idle,
// fastify's own default) are what the service ran with before the variable existed, so every stored
// run measured the same behaviour (the only other change, headersTimeout 60 → 73 s,
// bounds how long a client may take to send its headers, which the lab's clients never approach).
const KEEPALIVE = ['keepalive'] as const;

const ladder: Arm[] = LEVERS.slice(0, -1).map((_, i) => ({
  name: `ladder-${i + 1}-${LEVERS[i]}`,
  levers: LEVERS.slice(0, i + 1),
  components: KEEPALIVE,
  title: `+ ${LEVERS.slice(0, i + 1).join(' + ')}`,
}));

const leaveOneOut: Arm[] = LEVERS.map((l) => ({
  name: `without-${l}`,
  levers: LEVERS.filter((x) => x !== l),
  components: KEEPALIVE,
  title: `all but ${l}`,
}));

export const BEFORE: Arm = { name: 'before', levers: [], components: KEEPALIVE, title: 'before (no levers)' };
export const AFTER: Arm = { name: 'after', levers: [...LEVERS], components: KEEPALIVE, title: 'after (all levers)' };

/** `after` with Node's pre-v26 defaults (keepAliveTimeout 5000, headersTimeout 60000) set over the component. */
export const AFTER_KEEPALIVE_5S: Arm = {
  name: 'after-keepalive-5s', levers: [...LEVERS], components: KEEPALIVE, title: 'after with the app\'s keep-alive at Node\'s old 5 s default',
  serviceEnv: { KEEPALIVE_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '60000' },
};

/**
 * `after` with the draining pod's idle keep-alive sockets kept open past the listener's close
 * (IDLE_CLOSE=client-window, service/shutdown.ts) instead of destroyed over CLOSE_JITTER_MS: issue 24's
 * "server's half", measured against `after` by `npm run lab -- idle-close`.
 */
export const AFTER_IDLE_WINDOW: Arm = {
  name: 'after-idle-window', levers: [...LEVERS], components: KEEPALIVE, title: 'after with idle sockets closed only after the client\'s idle window',
  serviceEnv: { IDLE_CLOSE: 'client-window' },
};

/** Ladder order: before, then one lever added at a time, ending at after. */
export const LADDER: readonly Arm[] = [BEFORE, ...ladder, AFTER];
/** after, then all-but-one for each lever. */
export const LEAVE_ONE_OUT: readonly Arm[] = [AFTER, ...leaveOneOut];
export const ARMS: readonly Arm[] = [BEFORE, ...ladder, AFTER, ...leaveOneOut, AFTER_KEEPALIVE_5S, AFTER_IDLE_WINDOW];

export function findArm(name: string): Arm {
  const arm = ARMS.find((a) => a.name === name);
  if (!arm) throw new LabError('LAB_UNKNOWN_ARM', `"${name}"; valid arms are ${ARMS.map((a) => a.name).join(', ')}`);
  return arm;
}
