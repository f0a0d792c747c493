import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { LabError } from '../../../common/errors.js';

// How pods are addressed. A real pod has its own network namespace, so every replica listens on
// 0.0.0.0:PORT, as most apps do. In 'netns' mode each pod gets one, joined by a veth pair to one
// bridge per local cluster, the way the CNI bridge plugin wires pods on a node. 'loopback' mode
// (the lab's own experiments, and machines where creating namespaces is not permitted) gives each
// pod its own 127.x.y.z instead, and the app must bind to that address.
//
// Addresses come from 198.18.0.0/15, the range RFC 2544 reserves for benchmarking and no network
// routes: pods 198.18.B.1–253 behind the bridge's 198.18.B.254, Service addresses 198.19.B.10+ on
// the bridge itself, so a pod reaches a Service through its default route and the lab (in the
// root namespace) answers. Nothing leaves the machine: every address is local or in a namespace
// the lab created. B is the cluster's 127.B.0.0/16 block, already locked for this run.

/** What a user may ask for; 'auto' resolves to one of the two modes before anything starts. */
export const POD_NETWORK_CHOICES = ['auto', 'netns', 'loopback'] as const;
export type PodNetworkChoice = (typeof POD_NETWORK_CHOICES)[number];
export type PodNetworkMode = Exclude<PodNetworkChoice, 'auto'>;

const NETNS_DIR = '/run/netns';
const SYS_NET_DIR = '/sys/class/net';
const GATEWAY_OCTET = 254;
const STEP_TIMEOUT_MS = 5000;

const bridgeName = (block: number) => `dll${block}br`;
const vethName = (block: number, n: number) => `dll${block}p${n}`;
const nsName = (block: number, n: number) => `dll-${block}-${n}`;
/** n of a pod address 198.18.B.n */
const podNumber = (ip: string) => Number(ip.split('.')[3]);

function ipSync(args: string[], input?: string): { ok: boolean; err: string } {
  const r = spawnSync('ip', args, { input, encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  return { ok: r.status === 0, err: (r.error?.message ?? r.stderr ?? '').trim() };
}

interface Ran { status: number | null; stderr: string; error?: NodeJS.ErrnoException }

/** One command fed `input` on stdin, reported as spawnSync reports it, without blocking the event loop. */
function run(cmd: string, args: string[], input = ''): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'], timeout: STEP_TIMEOUT_MS });
    let stderr = '';
    let error: NodeJS.ErrnoException | undefined;
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.stdin.on('error', () => undefined); // a command that exits (or never ran) before reading its input
    child.once('error', (e) => { error = e; });
    child.once('close', (status) => resolve(error ? { status: null, stderr, error } : { status, stderr }));
    child.stdin.end(input);
  });
}

/** `ip [-n ns] -batch -`: several changes in one process, so a pod start costs two or three spawns, not ten. */
async function ipBatch(lines: string[], ns?: string, force = false): Promise<void> {
  // -force: carry on past a failing line (teardown removes what is still there)
  const r = await run('ip', [...(ns ? ['-n', ns] : []), ...(force ? ['-force'] : []), '-batch', '-'], `${lines.join('\n')}\n`);
  if (r.error) throw new LabError('LAB_NO_POD_NETWORK', `ip: ${r.error.message}`);
  if (r.status !== 0) throw new LabError('LAB_NO_POD_NETWORK', `ip ${ns ? `-n ${ns} ` : ''}-batch: ${r.stderr.trim() || `exit ${r.status}`} (${lines.join('; ')})`);
}

export type PodNetworkSupport = { ok: true } | { ok: false; why: string };
let support: Promise<PodNetworkSupport> | undefined;

/**
 * Whether this machine lets the lab create namespaces, veth pairs and a bridge (root or CAP_NET_ADMIN,
 * iproute2, nsenter); probed once, without blocking: check reads the user's manifests meanwhile.
 */
export function podNetworkSupport(): Promise<PodNetworkSupport> {
  return (support ??= probeSupport());
}

async function probeSupport(): Promise<PodNetworkSupport> {
  // one `ip -batch` (it stops at the first failing line and names it), not a spawn per step, beside
  // the nsenter probe: check's first pod waits for both
  const probe = `dllprobe${process.pid % 100000}`;
  const [nsenter, r] = await Promise.all([
    run('nsenter', ['--version']),
    run('ip', ['-batch', '-'], [`netns add ${probe}`, `link add ${probe}a type veth peer name eth0 netns ${probe}`, `link del ${probe}a`, `netns del ${probe}`].join('\n')),
  ]);
  const failedLine = Number(/Command failed -:(\d+)/.exec(r.stderr)?.[1] ?? 1);
  // a batch that stopped after its first line leaves the probe's namespace behind
  if (!r.error && r.status !== 0 && failedLine > 1) await run('ip', ['-force', '-batch', '-'], `link del ${probe}a\nnetns del ${probe}\n`);
  if (nsenter.status !== 0) return { ok: false, why: 'the `nsenter` command (package util-linux) is not installed' };
  if (r.error) return { ok: false, why: r.error.code === 'ENOENT' ? 'the `ip` command (Debian/Ubuntu package iproute2) is not installed' : `ip: ${r.error.message}` };
  if (r.status === 0) return { ok: true };
  const err = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('Command failed')).join('; ').trim() || 'no reason given';
  return { ok: false, why: failedLine <= 1 ? `creating a network namespace was refused (${err}); it needs root or CAP_NET_ADMIN` : `creating a veth pair was refused (${err})` };
}

/**
 * Resolves 'auto' to what this machine supports, with a note for the results when it fell back;
 * 'netns' where it is not supported is an error naming why.
 */
export async function choosePodNetwork(choice: PodNetworkChoice): Promise<{ mode: PodNetworkMode; note?: string }> {
  if (choice === 'loopback') return { mode: 'loopback' };
  const s = await podNetworkSupport();
  if (s.ok) return { mode: 'netns' };
  if (choice === 'netns') throw new LabError('LAB_NO_POD_NETWORK', `${s.why}. Without it, pass --pod-network loopback: each pod then gets its own 127.x.y.z in HOST and POD_IP, and the app must listen on it.`);
  return { mode: 'loopback', note: `pod network: shared loopback, because ${s.why}; each pod must listen on its own 127.x.y.z, passed in HOST and POD_IP` };
}

export class PodNetwork {
  private nextPod = 1;
  private nextService = 10;
  /** pod addresses with a namespace (198.18.B.n is namespace dll-B-n) */
  private readonly attached = new Set<string>();
  private closed = false;

  private constructor(readonly block: number) {}

  /**
   * The bridge of `block` (whose lock the caller holds), after removing what killed earlier runs left
   * behind: on this block, and on every other block no running lab holds (`inUse`).
   */
  static async create(block: number, inUse: (block: number) => boolean): Promise<PodNetwork> {
    const net = new PodNetwork(block);
    const left = new Set([...list(SYS_NET_DIR, 'dll'), ...list(NETNS_DIR, 'dll-')].map((n) => Number(/^dll-?(\d+)/.exec(n)?.[1])).filter((b) => b > 0));
    for (const b of left) if (b !== block && !inUse(b)) new PodNetwork(b).removeLeftovers();
    net.removeLeftovers();
    await ipBatch([
      `link add ${bridgeName(block)} type bridge`,
      `addr add ${net.gateway}/24 dev ${bridgeName(block)}`,
      `link set ${bridgeName(block)} up`,
    ]);
    return net;
  }

  /** The node's address as pods see it: their default gateway, and status.hostIP. */
  get gateway(): string { return `198.18.${this.block}.${GATEWAY_OCTET}`; }

  podAddress(): string {
    if (this.nextPod >= GATEWAY_OCTET) throw new LabError('LAB_NO_POD_NETWORK', `all ${GATEWAY_OCTET - 1} pod addresses of 198.18.${this.block}.0/24 used in this run`);
    return `198.18.${this.block}.${this.nextPod++}`;
  }

  /** A Service address on the bridge, so pods reach it through their default route. */
  async serviceAddress(): Promise<string> {
    if (this.nextService > 254) throw new LabError('LAB_BAD_MANIFEST', 'more than 245 Services');
    const a = `198.19.${this.block}.${this.nextService++}`;
    await ipBatch([`addr add ${a}/32 dev ${bridgeName(this.block)}`]);
    return a;
  }

  /** Creates the pod's namespace with its address and routes; returns the argv prefix that runs a command inside it. */
  async attach(ip: string): Promise<string[]> {
    const n = podNumber(ip);
    const ns = nsName(this.block, n);
    if (this.attached.has(ip)) return enterPrefix(ns);
    if (this.closed) throw new LabError('LAB_CLUSTER_CLOSED', `pod network of block ${this.block} is closed`);
    this.attached.add(ip);
    await ipBatch([`netns add ${ns}`,
      `link add ${vethName(this.block, n)} type veth peer name eth0 netns ${ns}`,
      `link set ${vethName(this.block, n)} master ${bridgeName(this.block)} up`]);
    await ipBatch(['link set lo up', `addr add ${ip}/24 dev eth0`, 'link set eth0 up', `route add default via ${this.gateway}`], ns);
    return enterPrefix(ns);
  }

  /**
   * Removes the pod's veth pair and namespace, as the CNI does when the pod sandbox goes. The veth
   * goes explicitly: a namespace outlives its last process while orphaned sockets in it close
   * (FIN_WAIT, up to a minute), and would keep the interface name taken until then.
   */
  async detach(ip: string): Promise<void> {
    if (!this.attached.delete(ip)) return;
    const n = podNumber(ip);
    await ipBatch([`link del ${vethName(this.block, n)}`, `netns del ${nsName(this.block, n)}`], undefined, true).catch(() => undefined);
  }

  /** Synchronous, for exit hooks as well as close(): every namespace, then the bridge. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.attached.clear();
    this.removeLeftovers();
  }

  private removeLeftovers(): void {
    const lines = [
      ...list(SYS_NET_DIR, `dll${this.block}p`).map((l) => `link del ${l}`),
      ...list(NETNS_DIR, `dll-${this.block}-`).map((f) => `netns del ${f}`),
      ...list(SYS_NET_DIR, bridgeName(this.block)).map((l) => `link del ${l}`),
    ];
    if (lines.length > 0) ipSync(['-force', '-batch', '-'], lines.join('\n'));
  }
}

const enterPrefix = (ns: string) => ['nsenter', `--net=${NETNS_DIR}/${ns}`];
const list = (dir: string, prefix: string) => { try { return readdirSync(dir).filter((f) => f.startsWith(prefix)); } catch { return []; } };
