/**
 * Fixed-window request counts per key (a token, an address), in memory: each replica limits what reaches it,
 * which bounds the whole by replicas × limit. Answers how many seconds to wait (0: go ahead).
 */
export class RateLimiter {
  private readonly windowMs: number;
  private readonly counts = new Map<string, { start: number; n: number }>();
  constructor(windowSeconds: number) {
    this.windowMs = windowSeconds * 1000;
  }

  take(key: string, max: number, now = Date.now()): number {
    if (max <= 0) return 0;
    let c = this.counts.get(key);
    if (!c || now - c.start >= this.windowMs) {
      c = { start: now, n: 0 };
      this.counts.set(key, c);
      if (this.counts.size > 100_000) this.sweep(now);
    }
    if (c.n >= max) return Math.max(1, Math.ceil((c.start + this.windowMs - now) / 1000));
    c.n++;
    return 0;
  }

  private sweep(now: number): void {
    for (const [k, c] of this.counts) if (now - c.start >= this.windowMs) this.counts.delete(k);
  }
}
