import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../../common/errors.js';

// Every local cluster owns one 127.A.0.0/16 block (Linux routes all of 127/8 to lo), so pods can
// all listen on the manifest's own port (3000) at once, and concurrent runs and tests never share
// an address. Layout: 127.A.0.1 ingress, 127.A.0.10+ Service addresses, 127.A.1.1+ pods.

const LOCK_DIR = join(tmpdir(), 'deploy-loss-lab-net');
const FIRST_BLOCK = 10; // 127.0.x.x and the low blocks stay free for everything else on the machine
const LAST_BLOCK = 250;
const heldHere = new Set<number>();

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function tryLock(block: number): boolean {
  if (heldHere.has(block)) return false;
  const file = join(LOCK_DIR, `${block}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(block);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner && alive(owner)) return false;
      try { unlinkSync(file); } catch { /* another process took it over first */ }
    }
  }
  return false;
}

/** True while a running lab (this one or another) holds `block`. */
export function blockInUse(block: number): boolean {
  if (heldHere.has(block)) return true;
  try {
    const owner = Number(readFileSync(join(LOCK_DIR, `${block}.lock`), 'utf8').trim());
    return owner > 0 && alive(owner);
  } catch { return false; }
}

export class AddressBlock {
  private nextService = 10;
  private nextPod = 0;
  private released = false;

  private constructor(readonly block: number) {}

  /** Takes a free block (a lock file per block, stale locks of dead processes reclaimed), or the one asked for. */
  static acquire(wanted?: number): AddressBlock {
    mkdirSync(LOCK_DIR, { recursive: true });
    if (wanted !== undefined) {
      if (!Number.isInteger(wanted) || wanted < 1 || wanted > 254) throw new LabError('LAB_BAD_OPTION', `network block ${wanted} is not within 1..254`);
      if (!tryLock(wanted)) throw new LabError('LAB_PORT_TAKEN', `address block 127.${wanted}.0.0/16 is held by another running lab`);
      return new AddressBlock(wanted);
    }
    const span = LAST_BLOCK - FIRST_BLOCK + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const b = FIRST_BLOCK + ((start + i) % span);
      if (tryLock(b)) return new AddressBlock(b);
    }
    throw new LabError('LAB_PORT_TAKEN', `no free 127.x.0.0/16 block among ${FIRST_BLOCK}..${LAST_BLOCK}`);
  }

  get ingressAddress(): string { return `127.${this.block}.0.1`; }

  serviceAddress(): string {
    if (this.nextService > 254) throw new LabError('LAB_BAD_MANIFEST', 'more than 245 Services');
    return `127.${this.block}.0.${this.nextService++}`;
  }

  /** Pod IPs are never reused within a run, as a cluster's pod CIDR rarely reuses one soon. */
  podAddress(): string {
    const n = this.nextPod++;
    const b = 1 + Math.floor(n / 254);
    if (b > 255) throw new LabError('LAB_BAD_OPTION', 'pod addresses exhausted');
    return `127.${this.block}.${b}.${1 + (n % 254)}`;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.block);
    try { unlinkSync(join(LOCK_DIR, `${this.block}.lock`)); } catch { /* already gone */ }
  }
}

/** Fails with LAB_PORT_TAKEN naming address:port when something (even a 0.0.0.0 listener) holds it. */
export function assertPortFree(host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE'
        ? new LabError('LAB_PORT_TAKEN', `${host}:${port} (${what}) is already in use`)
        : new LabError('LAB_PORT_TAKEN', `${host}:${port} (${what}): ${e.message}`, { cause: e }));
    });
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** A port the kernel picks on `host`, for the ingress and other lab-side listeners. */
export function ephemeralPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host, port: 0 }, () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}
