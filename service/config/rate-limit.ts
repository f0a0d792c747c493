// Per-client token bucket. Hand-written (a dozen lines) because the limit comes from each
// request's config snapshot, so a reload changes the rate without resetting anyone's bucket.

interface Bucket {
  tokens: number;
  at: number;
}

export interface TakeResult {
  ok: boolean;
  /** whole seconds until one token is available (Retry-After) */
  retryAfterS: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly maxClients = 100_000) {}

  /** Burst capacity is one second's worth of tokens. perSecond 0 means no limit. */
  take(client: string, perSecond: number, now = performance.now()): TakeResult {
    if (perSecond <= 0) return { ok: true, retryAfterS: 0 };
    this.sweep(now, perSecond);
    let b = this.buckets.get(client);
    if (!b) {
      b = { tokens: perSecond, at: now };
      this.buckets.set(client, b);
    }
    b.tokens = Math.min(perSecond, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, retryAfterS: 0 };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  // A bucket idle long enough to be full is indistinguishable from a new one: drop it, so the
  // map stays bounded by the number of recently active clients.
  private sweep(now: number, perSecond: number): void {
    if (now - this.lastSweep < 10_000 && this.buckets.size < this.maxClients) return;
    this.lastSweep = now;
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * perSecond >= perSecond) this.buckets.delete(k);
    }
  }
}
